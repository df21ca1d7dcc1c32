from __future__ import annotations

import pytest

from lms.consent.models import How, Purpose
from lms.consent.services import give
from tests.enrollment.conftest import course  # noqa: F401  (the fixture: an edition open for registration)
from tests.factories import PrivacyNoticeFactory, UserFactory


@pytest.fixture
def notice(db):
    """Version 1 of the notice, published."""
    return PrivacyNoticeFactory(version=1)


@pytest.fixture
def learner(db, notice):
    """A learner who agreed to take part under version 1."""
    user = UserFactory(email="mai@example.org", full_name="Hoàng Thị Mai")
    give(user, [Purpose.COURSE], How.SIGNUP)
    db.session.commit()
    return user


def consent_rows(db, user) -> list[tuple]:
    from sqlalchemy import select

    from lms.consent.models import Consent, PrivacyNotice

    db.session.expire_all()
    return [
        tuple(row)
        for row in db.session.execute(
            select(Consent.purpose, PrivacyNotice.version, Consent.how, Consent.withdrawn_at.is_not(None))
            .join(PrivacyNotice, PrivacyNotice.id == Consent.notice_id)
            .where(Consent.user_id == user.id)
            .order_by(Consent.purpose, PrivacyNotice.version)
        )
    ]
