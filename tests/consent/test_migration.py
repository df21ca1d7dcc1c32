"""The migration that introduced consent records: each registered learner's privacy tick
(``registration.privacy_accepted_at``, the earliest of their registrations) becomes a
consent to take part under version 1 of the shipped notice, given "before versioning";
the downgrade drops the new tables and keeps every tick. On both backends."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from lms.consent.models import Consent, PrivacyNotice
from lms.consent.shipped import shipped_texts
from lms.enrollment.models import Registration
from lms.extensions import db
from tests.core.test_migrations import empty_app  # noqa: F401  (the fixture: an empty database)
from tests.factories import CourseFactory, UserFactory, registration_for

BEFORE = "82ddf832ef78"
FIRST = datetime(2023, 8, 1, 2, 0, tzinfo=UTC)
LATER = datetime(2023, 8, 15, 9, 30, tzinfo=UTC)


def consents() -> list[tuple]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Consent.user_id, Consent.purpose, PrivacyNotice.version, Consent.given_at, Consent.how)
        .join(PrivacyNotice, PrivacyNotice.id == Consent.notice_id)
        .order_by(Consent.user_id)
    ).all()
    db.session.commit()
    return [tuple(row) for row in rows]


def test_privacy_ticks_become_consents_under_version_1_and_back(empty_app):  # noqa: F811
    with empty_app.app_context():
        upgrade(revision=BEFORE)
        hoa, binh, signed_up_only = UserFactory(), UserFactory(), UserFactory()
        first, second = CourseFactory(slug="eip-2023"), CourseFactory(slug="eip-2024")
        registration_for(hoa, first).privacy_accepted_at = LATER
        registration_for(hoa, second).privacy_accepted_at = FIRST
        registration_for(binh, first).privacy_accepted_at = LATER
        db.session.commit()
        ids = (hoa.id, binh.id, signed_up_only.id)
        db.session.remove()

        upgrade()
        expected = [
            (ids[0], "course", 1, FIRST, "before_versioning"),
            (ids[1], "course", 1, LATER, "before_versioning"),
        ]
        assert consents() == expected  # the one who never registered is asked at their next visit
        notice = db.session.scalar(select(PrivacyNotice))
        assert notice.version == 1 and notice.published_by_id is None and notice.text == shipped_texts()
        db.session.remove()

        downgrade(revision=BEFORE)
        engine = db.engine
        assert not {"consent", "privacy_notice"} & set(inspect(engine).get_table_names())
        ticks = db.session.execute(select(Registration.user_id, Registration.privacy_accepted_at)).all()
        assert sorted(ticks) == sorted([(ids[0], LATER), (ids[0], FIRST), (ids[1], LATER)])
        db.session.remove()

        upgrade()
        assert consents() == expected
        db.session.remove()
        db.engine.dispose()


def test_an_empty_database_gets_no_notice_until_content_is_loaded(empty_app):  # noqa: F811
    with empty_app.app_context():
        upgrade()
        assert db.session.scalar(select(PrivacyNotice)) is None
        db.session.remove()
        db.engine.dispose()
