"""Consent rules: which notice is in force, giving and withdrawing consent, and who
consents to what (the one place exports ask).

A consent counts only for the notice version it was given under: when organisers
publish a new version, what learners agreed to changed, so each purpose waits for their
renewed consent (the re-acceptance page asks them at their next visit). Functions
flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, select

from lms.accounts.models import User
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.consent.models import Consent, How, PrivacyNotice, Purpose
from lms.db import utcnow
from lms.errors import FieldError, ServiceError
from lms.extensions import db

NOTICE_PUBLISHED = declare_action(
    "privacy_notice.published", _l("Published a privacy notice"), version=Detail(_l("Version"), Shown.NUMBER)
)
CONSENT_GIVEN = declare_action(
    "consent.given",
    _l("Gave consent"),
    purpose=Detail(_l("Purpose")),
    version=Detail(_l("Notice version"), Shown.NUMBER),
)
CONSENT_WITHDRAWN = declare_action(
    "consent.withdrawn",
    _l("Withdrew consent"),
    purpose=Detail(_l("Purpose")),
    version=Detail(_l("Notice version"), Shown.NUMBER),
)

COURSE_CONSENT_MISSING = _l(
    "Please tick the box to agree that your details are used to take part in the course: "
    "without it we cannot run the course for you."
)
TAMPERED = _l(
    "The form contained a purpose this platform does not have, so nothing was saved. Please reload the page."
)
NO_NOTICE = _l(
    "No privacy notice is published yet, so consent cannot be recorded. Please contact the organisers."
)


def current_notice() -> PrivacyNotice | None:
    """The notice in force: the highest published version (None before the first)."""
    return db.session.scalar(select(PrivacyNotice).order_by(PrivacyNotice.version.desc()).limit(1))


def notice_versions() -> list[PrivacyNotice]:
    return list(db.session.scalars(select(PrivacyNotice).order_by(PrivacyNotice.version.desc())))


def find_notice(version: int) -> PrivacyNotice | None:
    return db.session.scalar(select(PrivacyNotice).where(PrivacyNotice.version == version))


# -- publishing -----------------------------------------------------------------------


def publish_notice(texts: dict[str, str], actor: User | None, now: datetime | None = None) -> PrivacyNotice:
    """A new version with the text in every language of the platform; earlier
    versions stay as they were."""
    texts = {locale: (texts.get(locale) or "").strip() for locale in current_app.config["LANGUAGES"]}
    for locale, text in texts.items():
        if not text:
            raise FieldError(f"text_{locale}", _l("Please write the notice in this language too."))
    latest = db.session.scalar(select(func.max(PrivacyNotice.version))) or 0
    notice = PrivacyNotice(
        version=latest + 1,
        text=texts,
        published_at=now or utcnow(),
        published_by_id=getattr(actor, "id", None),
    )
    db.session.add(notice)
    db.session.flush()
    record(NOTICE_PUBLISHED, actor=actor, version=notice.version)
    return notice


# -- giving and withdrawing -------------------------------------------------------------


def parse_purposes(values: Iterable[str]) -> set[Purpose]:
    """The purposes named in a form; an unknown one means the form was tampered with."""
    try:
        return {Purpose(value) for value in values}
    except ValueError:
        raise FieldError("consent", TAMPERED) from None


def accept_notice(user: User, purposes: set[Purpose], how: How, now: datetime | None = None) -> list[Consent]:
    """Consent given on a form that asks for the course consent (sign-up, registration,
    re-acceptance): refused without it. Optional purposes are recorded only if ticked."""
    if Purpose.COURSE not in purposes:
        raise FieldError("consent_course", COURSE_CONSENT_MISSING)
    return give(user, purposes, how, now)


def give(user: User, purposes: Iterable[Purpose], how: How, now: datetime | None = None) -> list[Consent]:
    """Record consent to each purpose under the notice in force; one already given
    under it is kept as it is (not recorded twice). Without a published notice there is
    nothing to consent to, and nothing is recorded."""
    added = record_consents(user, consents_to_record(user, purposes), how, now)
    db.session.flush()
    return added


@dataclass(frozen=True)
class ConsentsToRecord:
    """What :func:`give` will add, read before writing (the registration reads all it
    needs before it takes SQLite's write lock)."""

    notice_id: int | None
    purposes: tuple[Purpose, ...] = ()


def consents_to_record(user: User, purposes: Iterable[Purpose]) -> ConsentsToRecord:
    """The purposes not yet consented to under the notice in force (reads only)."""
    notice_id = db.session.scalar(_notice_id_statement())
    if notice_id is None:
        return ConsentsToRecord(None)
    return ConsentsToRecord(notice_id, tuple(sorted(set(purposes) - _active_purposes(user.id, notice_id))))


def record_consents(
    user: User, pending: ConsentsToRecord, how: How, now: datetime | None = None
) -> list[Consent]:
    """Add the consents :func:`consents_to_record` found missing (no flush: the caller's
    next flush writes them)."""
    given_at = now or utcnow()
    added = [
        Consent(user_id=user.id, purpose=purpose, notice_id=pending.notice_id, given_at=given_at, how=how)
        for purpose in pending.purposes
    ]
    db.session.add_all(added)
    return added


def give_optional(user: User, purpose_value: str) -> Consent:
    """An optional consent given on the learner's data page."""
    (purpose,) = parse_purposes([purpose_value])
    if purpose.required:
        raise ServiceError(TAMPERED)
    notice = current_notice()
    if notice is None:
        raise ServiceError(NO_NOTICE)
    added = give(user, [purpose], How.PROFILE)
    if not added:
        raise ServiceError(_l("You had already given this consent; nothing was changed."))
    record(CONSENT_GIVEN, user, actor=user, purpose=str(purpose), version=notice.version)
    return added[0]


def withdraw(user: User, purpose_value: str, now: datetime | None = None) -> list[Consent]:
    """Withdraw an optional consent, with effect at once (every export after this leaves
    the learner out). The course consent is withdrawn by asking for deletion instead."""
    (purpose,) = parse_purposes([purpose_value])
    if purpose.required:
        raise ServiceError(
            _l("Taking part needs this consent: to withdraw it, ask for your account to be deleted.")
        )
    consents = list(
        db.session.scalars(
            select(Consent).where(
                Consent.user_id == user.id, Consent.purpose == purpose, Consent.withdrawn_at.is_(None)
            )
        )
    )
    if not consents:
        raise ServiceError(
            _l("You had not given this consent, or had already withdrawn it; nothing was changed.")
        )
    when = now or utcnow()
    for consent in consents:
        consent.withdrawn_at = when
    db.session.flush()
    latest = max(consent.notice.version for consent in consents)
    record(CONSENT_WITHDRAWN, user, actor=user, purpose=str(purpose), version=latest)
    return consents


# -- who consents ------------------------------------------------------------------------


def _current_notice_id():
    return select(PrivacyNotice.id).order_by(PrivacyNotice.version.desc()).limit(1).scalar_subquery()


@lru_cache(maxsize=1)
def _notice_id_statement():
    # These statements are built once per process: the registration form and its POST
    # ask both questions, and building a statement cost more than running it.
    return select(PrivacyNotice.id).order_by(PrivacyNotice.version.desc()).limit(1)


@lru_cache(maxsize=1)
def _active_purposes_statement():
    return select(Consent.purpose).where(
        Consent.user_id == bindparam("user_id"),
        Consent.notice_id == bindparam("notice_id"),
        Consent.withdrawn_at.is_(None),
    )


def _active_purposes(user_id: int, notice_id: int) -> set[str]:
    return set(db.session.scalars(_active_purposes_statement(), {"user_id": user_id, "notice_id": notice_id}))


def active_purposes(user: User) -> set[str]:
    """The purposes the learner consents to under the notice in force."""
    notice_id = db.session.scalar(_notice_id_statement())
    return set() if notice_id is None else _active_purposes(user.id, notice_id)


def consenting_user_ids(purpose: Purpose, user_ids: Iterable[int] | None = None) -> set[int]:
    """Of ``user_ids`` (everyone when None), those who consent to ``purpose`` now: given
    under the notice in force and not withdrawn. Every export meant for a purpose asks
    here, so a withdrawal takes effect in the next export."""
    query = select(Consent.user_id).where(
        Consent.purpose == purpose, Consent.withdrawn_at.is_(None), Consent.notice_id == _current_notice_id()
    )
    if user_ids is None:
        return set(db.session.scalars(query))
    wanted = list(set(user_ids))
    found: set[int] = set()
    for start in range(0, len(wanted), 5000):  # under every database's parameter limit
        found.update(db.session.scalars(query.where(Consent.user_id.in_(wanted[start : start + 5000]))))
    return found


def needs_acceptance(user: User) -> bool:
    """A notice is in force and the learner has not accepted it for taking part (one
    query: it runs before each of their requests)."""
    notice_id = _current_notice_id()
    accepted = (
        select(Consent.id)
        .where(
            Consent.user_id == user.id,
            Consent.purpose == Purpose.COURSE,
            Consent.notice_id == notice_id,
            Consent.withdrawn_at.is_(None),
        )
        .exists()
    )
    has_notice, has_accepted = db.session.execute(select(notice_id.is_not(None), accepted)).one()
    return bool(has_notice) and not has_accepted


def consents_of(user: User) -> list[Consent]:
    """Every consent the learner gave, newest first (withdrawn ones included)."""
    return list(
        db.session.scalars(
            select(Consent)
            .where(Consent.user_id == user.id)
            .order_by(Consent.given_at.desc(), Consent.id.desc())
        )
    )


@dataclass(frozen=True)
class ConsentCount:
    version: int
    purpose: str
    given: int
    withdrawn: int


def consent_counts() -> list[ConsentCount]:
    """Per notice version and purpose: how many consents were given and how many of
    those are withdrawn (one query)."""
    rows = db.session.execute(
        select(
            PrivacyNotice.version,
            Consent.purpose,
            func.count(Consent.id),
            func.sum(case((Consent.withdrawn_at.is_not(None), 1), else_=0)),
        )
        .join(PrivacyNotice, PrivacyNotice.id == Consent.notice_id)
        .group_by(PrivacyNotice.version, Consent.purpose)
        .order_by(PrivacyNotice.version.desc(), Consent.purpose)
    ).all()
    return [
        ConsentCount(version, purpose, given, int(withdrawn or 0))
        for version, purpose, given, withdrawn in rows
    ]
