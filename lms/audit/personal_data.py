"""The personal data the audit log holds: what the person did (events they are the
actor of) and what was done about them (events naming them as the learner or the
user concerned). See lms.personal_data.

Events stay (who did what, when, is the log's purpose; after de-identification the
actor is an account that names nobody); texts typed about the person (reasons) go.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from lms.audit.actions import action_named
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.personal_data import PersonalData

# Detail fields that hold text an organiser typed (about the person, when the event
# names them); other details are ids, codes, counts and choices.
FREE_TEXT_DETAILS = ("reason",)


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _about(user_id: int):
    return or_(
        and_(AuditEvent.object_type == "user", AuditEvent.object_id == user_id),
        AuditEvent.details["learner_id"].as_integer() == user_id,
    )


def _label(action: str) -> str:
    try:
        return str(action_named(action).label)
    except LookupError:
        return action


def export_events(user_id: int) -> list[dict]:
    events = db.session.scalars(
        select(AuditEvent).where(or_(AuditEvent.actor_id == user_id, _about(user_id))).order_by(AuditEvent.id)
    )
    return [
        {"action": event.action, "label": _label(event.action), "by_you": event.actor_id == user_id,
         "object_type": event.object_type, "object_id": event.object_id, "at": _iso(event.created_at)}
        for event in events
    ]  # fmt: skip


def erase_events(user_id: int) -> None:
    for event in db.session.scalars(select(AuditEvent).where(_about(user_id))):
        if any(event.details.get(field) for field in FREE_TEXT_DETAILS):
            event.details = {
                key: ("" if key in FREE_TEXT_DETAILS else value) for key, value in event.details.items()
            }
    db.session.flush()


PERSONAL_DATA = (
    PersonalData("audit_events", _l("Actions recorded in the audit log"), export_events, erase_events),
)
