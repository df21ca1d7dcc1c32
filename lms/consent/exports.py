"""The log of organisers' exports of personal data (who, what, when, how many people).

Every export that puts people's names or contact details in a file calls
:func:`log_personal_data_export` once, whether a job, a page or the CLI made it, so the
audit log answers "who took whose data out, and when" for a DPIA or after a breach.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.extensions import db

PERSONAL_DATA_EXPORTED = declare_action(
    "personal_data.exported",
    _l("Exported personal data"),
    export=Detail(_l("Export")),
    people=Detail(_l("People"), Shown.NUMBER),
    via=Detail(_l("Made by")),
)


def log_personal_data_export(
    what: str, people: int, *, actor_id: int | None, course_id: int | None = None, via: str = "web"
) -> None:
    """Add the audit event for one export of ``people`` persons' data (the caller commits).

    ``what`` names the export (e.g. ``registrations.xlsx``); ``via`` is ``web`` (a job an
    organiser started) or ``cli`` (an operator's command, which has no signed-in actor).
    """
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    record(PERSONAL_DATA_EXPORTED, actor=actor, course_id=course_id, export=what, people=people, via=via)
