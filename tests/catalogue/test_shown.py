"""The course page's lean reading (lms.catalogue.shown) against the mapped edition: the
same modules, runs, trainers, seats, dates and states, in two queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lms.catalogue.models import CourseStatus, RunStatus
from lms.catalogue.services import find_published_course
from lms.catalogue.shown import shown_edition
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory
from tests.helpers import count_queries


def an_edition(db):
    now = datetime.now(UTC).replace(microsecond=0)
    course = CourseFactory(
        slug="eip-shown", organisers={"vi": "Bộ KH&ĐT"}, audience={"en": ["Parks", "Firms"]}
    )
    first = ModuleFactory(course=course, position=1, key="m1", duration_minutes=90)
    ModuleFactory(course=course, position=3, key="m3")  # no runs yet
    second = ModuleFactory(course=course, position=2, key="m2")
    late = RunFactory(module=first, key="b", starts_at=now + timedelta(days=9), capacity=5, taken=5)
    RunFactory(module=first, key="a", starts_at=now + timedelta(days=2), capacity=5, taken=2)
    gone = RunFactory(module=second, key="a", starts_at=now - timedelta(days=3), status=RunStatus.CANCELLED)
    late.trainers.extend([UserFactory(full_name="Vũ Thị Bích"), UserFactory(full_name="Lê Văn An")])
    gone.trainers.append(UserFactory(full_name="Trần Quang Minh"))
    db.session.commit()
    return course, now


def described(edition, now) -> dict:
    return {
        "texts": (edition.id, edition.slug, edition.title, edition.summary, edition.organisers, edition.audience),
        "state": (edition.zone, edition.registration_state(now), edition.is_published, edition.starts_at,
                  edition.ends_at, edition.total_minutes, edition.registration_closes_at),
        "modules": [
            (module.id, module.key, module.position, module.title, module.duration_minutes,
             [(run.id, run.key, run.label, run.starts_at, run.ends_at, run.capacity, run.seats_left,
               run.is_cancelled, [trainer.full_name for trainer in run.trainers]) for run in module.runs])
            for module in edition.modules
        ],
    }  # fmt: skip


def test_the_lean_edition_is_the_mapped_one(db):
    _, now = an_edition(db)
    db.session.expire_all()
    lean = shown_edition("eip-shown")
    assert described(lean, now) == described(find_published_course("eip-shown"), now)
    shown = described(lean, now)
    assert [module[1] for module in shown["modules"]] == ["m1", "m2", "m3"]
    assert [run[1] for run in shown["modules"][0][5]] == ["a", "b"]  # by start
    assert shown["modules"][0][5][1][-1] == ["Lê Văn An", "Vũ Thị Bích"]  # by name


def test_only_a_published_edition_is_shown_in_two_queries(app, db):
    course, _ = an_edition(db)
    with count_queries(app) as counter:
        assert shown_edition("eip-shown") is not None
    assert counter.count == 2
    assert shown_edition("no-such-edition") is None
    course.status = CourseStatus.DRAFT
    db.session.commit()
    assert shown_edition("eip-shown") is None
