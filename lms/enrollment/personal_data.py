"""The personal data enrollment holds: registrations and the runs chosen, with their
history (switches, cancellations, waiting places). See lms.personal_data.

These rows hold no name, address or text of the person, only which edition and runs
they chose and when: once the account itself is de-identified they identify nobody and
stay, so registrations per province, seats and waiting lists count as before.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.enrollment.models import Registration, RunChoice
from lms.extensions import db
from lms.i18n import tr_text
from lms.personal_data import PersonalData


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _choice(choice: RunChoice) -> dict:
    return {
        "module": choice.module.key,
        "run_id": choice.run_id,
        "run_starts_at": _iso(choice.run.starts_at),
        "status": choice.status,
        "created_at": _iso(choice.created_at),
        "confirmed_at": _iso(choice.confirmed_at),
        "ended_at": _iso(choice.ended_at),
    }


def export_registrations(user_id: int) -> list[dict]:
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.user_id == user_id)
        .options(
            selectinload(Registration.course),
            selectinload(Registration.choices).selectinload(RunChoice.run),
            selectinload(Registration.choices).selectinload(RunChoice.module),
        )
        .order_by(Registration.id)
    )
    return [
        {
            "edition": registration.course.slug,
            "title": tr_text(registration.course.title),
            "status": registration.status,
            "registered_at": _iso(registration.created_at),
            "privacy_accepted_at": _iso(registration.privacy_accepted_at),
            "cancelled_at": _iso(registration.cancelled_at),
            "choices": [_choice(choice) for choice in registration.choices],
        }
        for registration in registrations
    ]


def erase_registrations(user_id: int) -> None:
    """Nothing to remove: see the module's docstring."""


PERSONAL_DATA = (PersonalData("registrations", _l("Registrations and chosen runs"), export_registrations,
                              erase_registrations),)  # fmt: skip
