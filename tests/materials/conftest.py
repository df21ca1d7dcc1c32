"""A course with one module, the people around it, and helpers to add materials."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import current_app
from flask_babel import force_locale

from lms.catalogue.models import Course, Module
from lms.materials import services
from lms.materials.models import Material
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory, registration_for
from tests.materials import samples


@pytest.fixture(autouse=True)
def english(request):
    """Service messages (outside a request) in English, as the assertions are written;
    pages choose their language with ?lang= like any reader."""
    if "db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("db")
    with force_locale("en"):
        yield


@dataclass
class World:
    course: Course
    module: Module
    other_course: Course
    organiser: object
    trainer: object  # teaches a run of the course
    other_trainer: object  # teaches a run of another course only
    registered: object  # a learner registered for the course
    learner: object  # a learner registered for another course only

    @property
    def module_path(self) -> str:
        return f"/courses/{self.course.slug}/modules/{self.module.key}"

    @property
    def manage_path(self) -> str:
        return f"/manage/courses/{self.course.slug}/modules/{self.module.key}/materials"


@pytest.fixture
def world(db) -> World:
    now = datetime.now(UTC).replace(microsecond=0)
    course = CourseFactory(slug="eip-test")
    module = ModuleFactory(course=course, key="m1", position=1)
    trainer = UserFactory(
        email="trainer@example.org", full_name="Nguyễn Thị Lan", roles=["trainer"], locale="en"
    )
    RunFactory(module=module, key="a", starts_at=now + timedelta(days=10), trainers=[trainer])
    RunFactory(module=module, key="b", starts_at=now + timedelta(days=12))
    other_course = CourseFactory(slug="other")
    other_trainer = UserFactory(email="other.trainer@example.org", roles=["trainer"], locale="en")
    RunFactory(module=ModuleFactory(course=other_course, key="x1"), key="a", trainers=[other_trainer])
    organiser = UserFactory(email="organiser@example.org", roles=["organiser"], locale="en")
    registered = UserFactory(email="registered@example.org", locale="en")
    learner = UserFactory(email="learner@example.org", locale="en")
    registration_for(registered, course)
    registration_for(learner, other_course)
    db.session.commit()
    return World(course, module, other_course, organiser, trainer, other_trainer, registered, learner)


def details(
    title_en: str = "Slides", languages=("en",), visibility: str = "everyone", **extra
) -> services.Details:
    return services.Details(
        title={"vi": extra.pop("title_vi", f"{title_en} (vi)"), "en": title_en},
        description=extra.pop("description", {}),
        languages=list(languages),
        visibility=visibility,
        **extra,
    )


def add_file(world_or_module, actor=None, filename: str = "slides.pdf", data: bytes = samples.PDF, **fields):
    module = getattr(world_or_module, "module", world_or_module)
    return services.add_file(module, actor, details(**fields), filename, io.BytesIO(data))


def add_link(module, actor=None, url: str = "https://video.example.org/recording", **fields) -> Material:
    return services.add_link(module, actor, details(url=url, **fields))


def stored_files(app=None) -> list[Path]:
    """Every file under the storage folder, temporary ones included."""
    root = Path((app or current_app).config["MATERIALS_STORAGE_PATH"])
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def upload_form(filename: str, data: bytes, **fields) -> dict:
    form = {
        "title_vi": "Bài giảng",
        "title_en": "Slides",
        "description_vi": "",
        "description_en": "",
        "languages": ["en"],
        "visibility": "everyone",
        "file": (io.BytesIO(data), filename),
    }
    form.update(fields)
    return form
