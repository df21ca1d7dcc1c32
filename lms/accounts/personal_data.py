"""The personal data accounts hold: the profile, and the secrets that open the account
(sessions, password reset links, the calendar feed's address). See lms.personal_data.

De-identifying keeps the row and the categories donors' figures are broken down by
(type of organisation, province, gender), so the dashboard counts the person as before;
everything that names or reaches them goes.
"""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from lms.accounts.models import PasswordResetToken, User
from lms.db import utcnow
from lms.extensions import db
from lms.personal_data import PersonalData

# The address a de-identified account gets: unique (the column is), reaches nobody
# (.invalid is reserved, RFC 2606) and says nothing about the person.
PLACEHOLDER_DOMAIN = "invalid"


def placeholder_email() -> str:
    return f"deleted-{secrets.token_hex(8)}@{PLACEHOLDER_DOMAIN}"


def is_placeholder_email(email: str) -> bool:
    return email.startswith("deleted-") and email.endswith("@" + PLACEHOLDER_DOMAIN)


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def export_profile(user_id: int) -> list[dict]:
    user = db.session.get(User, user_id)
    if user is None:
        return []
    return [
        {
            "email": user.email,
            "full_name": user.full_name,
            "organisation": user.organisation,
            "organisation_type": user.organisation_type,
            "job_title": user.job_title,
            "province": user.province,
            "gender": user.gender,
            "locale": user.locale,
            "timezone": user.timezone,
            "roles": sorted(user.role_names),
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
            "keep_account": user.keep_account,
        }
    ]


def erase_profile(user_id: int) -> None:
    user = db.session.get(User, user_id)
    if user is None:
        return
    user.email = placeholder_email()
    user.full_name = ""
    user.organisation = ""
    user.job_title = ""
    user.password_hash = None
    user.is_active_account = False
    user.keep_account = False
    user.last_login_at = None
    user.deidentified_at = utcnow()
    db.session.flush()


def export_access(user_id: int) -> list[dict]:
    """When password reset links were asked for (never the secrets themselves)."""
    tokens = db.session.scalars(
        select(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id)
        .order_by(PasswordResetToken.id)
    )
    return [
        {"kind": "password_reset", "created_at": _iso(token.created_at), "expires_at": _iso(token.expires_at),
         "used_at": _iso(token.used_at)}
        for token in tokens
    ]  # fmt: skip


def erase_access(user_id: int) -> None:
    """Every way into the account ends: sessions on every device (the version signed
    into their cookies changes), reset links, the calendar feed's address."""
    db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user_id))
    user = db.session.get(User, user_id)
    if user is not None:
        user.session_version += 1
        user.calendar_token = None
    db.session.flush()


PERSONAL_DATA = (
    PersonalData("account_access", _l("Sign-in links and sessions"), export_access, erase_access),
    PersonalData("profile", _l("Your profile"), export_profile, erase_profile),
)
