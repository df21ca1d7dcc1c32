"""De-identifying a person everywhere, through every domain's declaration of the
personal data it holds (lms.personal_data), never table by table here."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.accounts.personal_data import is_placeholder_email
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.db import utcnow
from lms.extensions import db
from lms.i18n import supported_locales
from lms.personal_data import declared_personal_data
from lms.privacy import ledger

USER_DEIDENTIFIED = declare_action(
    "user.deidentified",
    _l("De-identified a person's data"),
    cause=Detail(_l("Why"), Shown.TEXT),
)

BY_REQUEST = "request"
BY_RETENTION = "retention"
BY_LEDGER = "ledger"
CAUSES = {
    BY_REQUEST: _l("at their request"),
    BY_RETENTION: _l("the retention period ended"),
    BY_LEDGER: _l("deleted before, brought back by restoring a backup"),
}


def cause_in_every_language(cause: str) -> dict[str, str]:
    """The audit page shows a text per language in the reader's."""
    texts = {}
    for locale in supported_locales():
        with force_locale(locale):
            texts[locale] = str(CAUSES[cause])
    return texts


def deidentify(user: User, cause: str, actor: User | None = None) -> str:
    """Remove everything that names or reaches ``user`` from every declared holder, in
    the caller's transaction (flush only). Returns the address they had, for the one
    email telling them it is done; the ledger records them once this commits."""
    email = user.email
    for declaration in declared_personal_data():
        declaration.erase(user.id)
    if not is_placeholder_email(email):
        ledger.record_after_commit(email, utcnow())
    record(USER_DEIDENTIFIED, user, actor=actor, cause=cause_in_every_language(cause))
    db.session.flush()
    return email


def restored_but_deleted() -> list[User]:
    """Accounts of this database that the ledger says were deleted: what restoring an
    older backup brought back."""
    wanted = ledger.identifiers()
    if not wanted:
        return []
    users = db.session.scalars(select(User).where(User.deidentified_at.is_(None)).order_by(User.id))
    return [user for user in users if ledger.identifier(user.email) in wanted]
