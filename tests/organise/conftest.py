"""An edition of two modules with two runs each, the people around it, and form data."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale

from lms.catalogue.models import Course, Run
from lms.enrollment.services import Pick, register
from tests.conftest import sent_emails
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory

# Module 1 runs on Tuesday 8 and Thursday 10 October 2030, module 2 two weeks later,
# each 09:00-11:00 in Viet Nam (02:00-04:00 UTC).
FIRST = datetime(2030, 10, 8, 2, 0, tzinfo=UTC)


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
class Edition:
    course: Course
    organiser: object
    trainer: object
    learner_vi: object  # reads Vietnamese, lives in Viet Nam
    learner_en: object  # reads English, lives in Vienna

    @property
    def slug(self) -> str:
        return self.course.slug

    def run(self, name: str) -> Run:
        """ "m1a", "m1b", "m2a" or "m2b"."""
        return {f"{m.key}{r.key}": r for m in self.course.modules for r in m.runs}[name]

    def register(self, learner, *names: str, wait: tuple[str, ...] = ()) -> None:
        picks = {
            self.run(name).module_id: Pick(self.run(name).id, wait_if_full=name in wait) for name in names
        }
        register(learner, self.course, picks, accepted_privacy=True)


@pytest.fixture
def edition(db) -> Edition:
    now = datetime.now(UTC).replace(microsecond=0)
    trainer = UserFactory(email="lan@example.org", full_name="Nguyễn Thị Lan", roles=["trainer"], locale="en")
    course = CourseFactory(
        slug="eip-test",
        registration_opens_at=now - timedelta(days=5),
        registration_closes_at=now + timedelta(days=10),
    )
    for position in (1, 2):
        module = ModuleFactory(
            course=course,
            key=f"m{position}",
            position=position,
            title={"vi": f"Học phần {position}", "en": f"Module {position}"},
        )
        for index, key in enumerate("ab"):
            starts = FIRST + timedelta(weeks=2 * (position - 1), days=2 * index)
            RunFactory(
                module=module,
                key=key,
                starts_at=starts,
                capacity=3,
                label={"vi": f"Lớp {key.upper()}", "en": f"Run {key.upper()}"},
                trainers=[trainer],
            )
    organiser = UserFactory(
        email="organiser@example.org", full_name="Đỗ Minh Châu", roles=["organiser"], locale="en"
    )
    learner_vi = UserFactory(email="huong@example.org", full_name="Phạm Thu Hương", locale="vi")
    learner_en = UserFactory(
        email="daniel@example.org", full_name="Daniel Weber", locale="en", timezone="Europe/Vienna"
    )
    db.session.commit()
    db.session.refresh(course)
    return Edition(course, organiser, trainer, learner_vi, learner_en)


def course_form(**overrides) -> dict:
    """A valid edition form, as the browser sends it."""
    data = {
        "slug": "eip-2031",
        "family": "eip",
        "title_vi": "Khu công nghiệp sinh thái 2031",
        "title_en": "Eco-industrial parks 2031",
        "summary_vi": "Khóa học trực tuyến.",
        "summary_en": "An online course.",
        "audience_vi": "Ban quản lý khu công nghiệp\nDoanh nghiệp",
        "audience_en": "Park management boards\nEnterprises",
        "organisers_vi": "Bộ Tài chính",
        "organisers_en": "Ministry of Finance",
        "timezone": "Asia/Ho_Chi_Minh",
        "opens_on": "2031-01-05",
        "opens_time": "08:00",
        "closes_on": "2031-02-20",
        "closes_time": "23:59",
        "change_cutoff_hours": "24",
        "present_threshold": "75",
        "late_threshold": "25",
        "status": "draft",
    }
    data.update(overrides)
    return data


def run_form(**overrides) -> dict:
    data = {
        "label_vi": "Lớp C",
        "label_en": "Run C",
        "starts_on": "2030-10-15",
        "starts_time": "14:00",
        "ends_time": "16:00",
        "duration_minutes": "",
        "capacity": "30",
        "join_url": "https://meet.example.org/eip-c",
    }
    data.update(overrides)
    return data


def run_form_of(run, **overrides) -> dict:
    """The edit form of ``run`` as the page shows it, with ``overrides``."""
    tz = run.module.course.zone
    starts, ends = run.starts_at.astimezone(tz), run.ends_at.astimezone(tz)
    data = {
        "label_vi": run.label.get("vi", ""),
        "label_en": run.label.get("en", ""),
        "starts_on": starts.strftime("%Y-%m-%d"),
        "starts_time": starts.strftime("%H:%M"),
        "ends_time": ends.strftime("%H:%M"),
        "duration_minutes": "",
        "capacity": str(run.capacity),
        "join_url": run.join_url,
        "trainers": [str(trainer.id) for trainer in run.trainers],
    }
    data.update(overrides)
    return data


def shown(response) -> str:
    """The page's text with HTML entities decoded (an apostrophe is &#39; in the source)."""
    return html.unescape(response.get_data(as_text=True))


def emails(app, db, to: str | None = None) -> list:
    """The outbox (to one address if given). The test's own transaction ends first: on
    SQLite it would otherwise hold the write lock the outbox reader waits for."""
    db.session.rollback()
    messages = sent_emails(app)
    return [message for message in messages if to is None or message["To"] == to]
