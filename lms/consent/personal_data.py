"""The consents a person gave, for their data download (lms.personal_data).

De-identification keeps the consent rows: they hold no name or contact detail (only the
account's id, which de-identification leaves nameless), and they remain the proof of
what was agreed and when, which the law asks the controller to be able to show.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.consent.models import Consent, PrivacyNotice
from lms.extensions import db
from lms.personal_data import PersonalData


def export_consents(user_id: int) -> list[dict]:
    rows = db.session.execute(
        select(Consent, PrivacyNotice.version)
        .join(PrivacyNotice, PrivacyNotice.id == Consent.notice_id)
        .where(Consent.user_id == user_id)
        .order_by(Consent.given_at, Consent.id)
    ).all()
    return [
        {
            "purpose": consent.purpose,
            "notice_version": version,
            "given_at": consent.given_at.isoformat(),
            "how": consent.how,
            "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None,
        }
        for consent, version in rows
    ]


def keep_consents(user_id: int) -> None:
    """Nothing to remove: see the module's docstring."""


PERSONAL_DATA = (PersonalData("consents", _l("Consents"), export_consents, keep_consents),)
