"""Issuing, revoking and re-issuing certificates, and turning one into a PDF.

A certificate is issued the moment a learner completes a course edition: the services
that can complete a learner (attendance marks and imports, quiz grading, completion
exceptions) send ``lms.signals.progress_changed``; ``create_app`` connects
``issue_on_completion`` to it.
``issue_for_course`` does the same for a whole edition (the CLI), and is idempotent.

Codes are 140 random bits written as 28 Crockford base-32 characters, shown in seven
groups of four. They are stored without separators; what people type is normalised
(case, spaces, dashes, and the letters O, I, L read as 0, 1, 1).
"""

from __future__ import annotations

import logging
import secrets
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.accounts.notify import recipient_of
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.models import Course
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.pdf import CertificateContent, render_certificate
from lms.completion.edition import edition_progress, load_evidence
from lms.completion.progress import progress
from lms.db import utcnow
from lms.enrollment.models import Registration, RegistrationStatus
from lms.errors import ServiceError
from lms.extensions import db
from lms.files import write_atomically
from lms.i18n import current_locale, tr_text
from lms.mail.kinds import Composition, RecipientGone
from lms.mail.outbox import queue_email
from lms.urls import external_url

# The audit log's actions recorded here (lms.audit.actions).
CERTIFICATE_ISSUED = declare_action(
    "certificate.issued",
    _l("Issued a certificate"),
    learner_id=Detail(_l("Learner"), Shown.USER),
    code=Detail(_l("Code")),
)
CERTIFICATES_ISSUED = declare_action(
    "edition.certificates_issued",
    _l("Issued the missing certificates of an edition"),
    issued=Detail(_l("Issued"), Shown.NUMBER),
)
CERTIFICATE_REVOKED = declare_action(
    "certificate.revoked",
    _l("Revoked a certificate"),
    learner_id=Detail(_l("Learner"), Shown.USER),
    code=Detail(_l("Code")),
    reason=Detail(_l("Reason"), Shown.TEXT),
)
CERTIFICATE_REISSUED = declare_action(
    "certificate.reissued",
    _l("Re-issued a certificate"),
    learner_id=Detail(_l("Learner"), Shown.USER),
    code=Detail(_l("Code")),
    replaces=Detail(_l("Replaces")),
)


log = logging.getLogger(__name__)

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_LENGTH = 28  # x 5 bits = 140 random bits
GROUP = 4
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1"})


# ---------------------------------------------------------------------------------------
# Codes


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display_code(code: str | None) -> str:
    """A code as printed: groups of four characters joined by dashes ("" for none)."""
    if not code:
        return ""
    return "-".join(code[start : start + GROUP] for start in range(0, len(code), GROUP))


def normalise_code(typed: str) -> str | None:
    """The stored form of a code as somebody typed or scanned it, or None when it
    cannot be a code at all."""
    code = "".join((typed or "").split()).replace("-", "").upper().translate(_TYPED)
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


# ---------------------------------------------------------------------------------------
# Finding


def valid_certificate(user: User, course: Course) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user.id,
            Certificate.course_id == course.id,
            Certificate.status == CertificateStatus.VALID,
        )
    )


def certificates_of_course(course: Course) -> list[Certificate]:
    """Every certificate of the edition, newest first, with learner and people loaded."""
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.course_id == course.id)
            .options(
                joinedload(Certificate.user),
                joinedload(Certificate.issued_by),
                joinedload(Certificate.revoked_by),
            )
            .order_by(Certificate.id.desc())
        )
    )


@dataclass(frozen=True)
class HeldCourse:
    title: dict
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class HeldCertificate:
    """A valid certificate as its holder's pages show it (My schedule, My certificates):
    plain columns, because loading the mapped certificate and its whole edition (texts,
    organisers, issuers) cost My schedule a quarter of a millisecond per request."""

    id: int
    code: str
    learner_name: str
    issued_at: datetime
    course: HeldCourse


@lru_cache(maxsize=1)
def _certificates_of_user_statement():
    # Built once per process: My schedule asks on every request.
    return (
        select(
            Certificate.id,
            Certificate.code,
            Certificate.learner_name,
            Certificate.issued_at,
            Course.title,
            Course.timezone,
        )
        .join(Course, Course.id == Certificate.course_id)
        .where(Certificate.user_id == bindparam("user_id"), Certificate.status == CertificateStatus.VALID)
        .order_by(Certificate.issued_at)
    )


def certificates_of_user(user: User) -> list[HeldCertificate]:
    rows = db.session.connection().execute(_certificates_of_user_statement(), {"user_id": user.id})
    return [
        HeldCertificate(certificate_id, code, name, issued_at, HeldCourse(title, timezone))
        for certificate_id, code, name, issued_at, title, timezone in rows
    ]


# ---------------------------------------------------------------------------------------
# Issuing


def issue_certificate(user: User, course: Course, actor: User | None = None) -> Certificate:
    """Issue the learner's certificate of the edition. Refused unless the learner has
    completed it; returns the valid certificate if there is one already."""
    existing = valid_certificate(user, course)
    if existing is not None:
        return existing
    if not progress(user, course).complete:
        raise ServiceError(_l("This learner has not completed the course yet."))
    return _create(user, course, actor)


def _create(user: User, course: Course, actor: User | None) -> Certificate:
    certificate = Certificate(
        code=new_code(), user_id=user.id, course_id=course.id, learner_name=user.full_name,
        status=CertificateStatus.VALID, issued_at=utcnow(), issued_by_id=getattr(actor, "id", None),
    )  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        # issued meanwhile by another request: the partial unique index keeps it to one
        return valid_certificate(user, course)
    record(CERTIFICATE_ISSUED, certificate, actor=actor, course_id=course.id, learner_id=user.id,
           code=certificate.code)  # fmt: skip
    _tell_learner(certificate, user, course)
    return certificate


def _tell_learner(certificate: Certificate, user: User, course: Course) -> None:
    queue_email(user, "certificate_issued", course_id=course.id, certificate_id=certificate.id)


def build_certificate_issued(payload: dict) -> Composition:
    certificate = db.session.get(Certificate, payload["certificate_id"])
    if certificate is None:
        raise RecipientGone(f"certificate {payload['certificate_id']} no longer exists")
    return Composition(
        recipient=recipient_of(payload),
        context={
            "course_title": tr_text(certificate.course.title, current_locale()),
            "code": display_code(certificate.code),
            "download_url": external_url("certificates.download", certificate_id=certificate.id),
            "verify_url": verify_url(certificate),
        },
    )


MAIL_KINDS = {"certificate_issued": build_certificate_issued}


def issue_if_complete(user: User, course: Course) -> Certificate | None:
    """Issue the certificate if the learner has just completed the edition."""
    if not course.is_published or valid_certificate(user, course) is not None:
        return None
    if _ever_revoked(user, course) or not progress(user, course).complete:
        return None
    return _create(user, course, None)


def _ever_revoked(user: User, course: Course) -> bool:
    """An organiser revoked this learner's certificate: only an organiser issues again."""
    return (
        db.session.scalar(
            select(Certificate.id).where(
                Certificate.user_id == user.id,
                Certificate.course_id == course.id,
                Certificate.status == CertificateStatus.REVOKED,
            )
        )
        is not None
    )


def issue_on_completion(course_id: int, user_ids: Iterable[int] = (), **_) -> None:
    """Receiver of ``lms.signals.progress_changed``, connected by ``create_app``."""
    course = db.session.get(Course, course_id)
    if course is None:
        return
    for user_id in sorted(set(user_ids)):
        user = db.session.get(User, user_id)
        if user is not None:
            issue_if_complete(user, course)


def issue_for_course(course: Course, actor: User | None = None) -> tuple[int, int]:
    """Issue every missing certificate of the edition. Returns (issued now, already
    held); running it again issues nothing."""
    issued, held = issue_missing(course, registered_learner_ids(course), actor)
    record_issued(course, actor, issued)
    return issued, held


def registered_learner_ids(course: Course) -> list[int]:
    """The learners actively registered for the edition, by id."""
    return list(
        db.session.scalars(
            select(Registration.user_id)
            .where(Registration.course_id == course.id, Registration.status == RegistrationStatus.ACTIVE)
            .order_by(Registration.user_id)
        )
    )


def issue_missing(course: Course, user_ids: Iterable[int], actor: User | None = None) -> tuple[int, int]:
    """Issue a certificate to each of these learners who completed the edition and holds
    none; (issued now, already held). Idempotent, so a job may do it in batches and
    start again after a crash."""
    issued = held = 0
    ids = list(user_ids)
    module_ids = [module.id for module in course.modules]
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        # The batch's progress by the one rule, in a fixed number of queries.
        table = edition_progress(course, batch, load_evidence(course, batch))
        holders = set(
            db.session.scalars(
                select(Certificate.user_id).where(
                    Certificate.course_id == course.id,
                    Certificate.status == CertificateStatus.VALID,
                    Certificate.user_id.in_(batch),
                )
            )
        )
        learners = db.session.scalars(select(User).where(User.id.in_(batch)).order_by(User.id)).all()
        for user in learners:
            if user.id in holders:
                held += 1
            elif table[user.id].complete(module_ids):
                _create(user, course, actor)
                issued += 1
    return issued, held


def record_issued(course: Course, actor: User | None, issued: int) -> None:
    """One audit event for issuing the missing certificates of the edition at once."""
    if issued:
        record(CERTIFICATES_ISSUED, course, actor=actor, course_id=course.id, issued=issued)


# ---------------------------------------------------------------------------------------
# Revoking and re-issuing


def revoke(certificate: Certificate, reason: str, actor: User) -> None:
    if certificate.status != CertificateStatus.VALID:
        raise ServiceError(_l("Only a valid certificate can be revoked."))
    if not reason.strip():
        raise ServiceError(_l("Please give the reason for revoking; it is kept in the audit log."))
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at, certificate.revoked_by_id = utcnow(), actor.id
    certificate.revoke_reason = reason.strip()
    record(CERTIFICATE_REVOKED, certificate, actor=actor, course_id=certificate.course_id,
           learner_id=certificate.user_id, code=certificate.code, reason=certificate.revoke_reason)  # fmt: skip


def reissue(certificate: Certificate, actor: User) -> Certificate:
    """A new certificate with a new code and the learner's current name (the usual reason
    is a corrected name); the old code then answers "replaced"."""
    if certificate.status != CertificateStatus.VALID:
        raise ServiceError(_l("Only a valid certificate can be re-issued."))
    certificate.status = CertificateStatus.REPLACED
    db.session.flush()
    user = db.session.get(User, certificate.user_id)
    course = db.session.get(Course, certificate.course_id)
    replacement = Certificate(
        code=new_code(), user_id=user.id, course_id=course.id, learner_name=user.full_name,
        status=CertificateStatus.VALID, issued_at=utcnow(), issued_by_id=actor.id,
    )  # fmt: skip
    db.session.add(replacement)
    db.session.flush()
    certificate.replaced_by_id = replacement.id
    record(CERTIFICATE_REISSUED, replacement, actor=actor, course_id=course.id, learner_id=user.id,
           code=replacement.code, replaces=certificate.code)  # fmt: skip
    _tell_learner(replacement, user, course)
    return replacement


# ---------------------------------------------------------------------------------------
# The PDF


def verify_url(certificate: Certificate) -> str:
    return external_url("certificates.verify", code=display_code(certificate.code))


def edition_dates(course: Course) -> tuple[date | None, date | None]:
    zone = course.zone
    starts, ends = course.starts_at, course.ends_at
    return (
        starts.astimezone(zone).date() if starts else None,
        ends.astimezone(zone).date() if ends else None,
    )


def content_of(certificate: Certificate) -> CertificateContent:
    course = certificate.course
    starts_on, ends_on = edition_dates(course)
    return CertificateContent(
        learner_name=certificate.learner_name,
        course_title=course.title,
        starts_on=starts_on,
        ends_on=ends_on,
        hours=round(course.total_minutes / 60),
        issuers=issuers_of(course),
        issued_on=certificate.issued_at.astimezone(course.zone).date(),
        code=display_code(certificate.code),
        verify_url=verify_url(certificate),
    )


def issuers_of(course: Course) -> list[dict[str, str]]:
    """The organisations named on the certificate, each in every language the course
    gives; without a list, the course's organisers as one text."""
    lists = {locale: names for locale, names in (course.issuers or {}).items() if names}
    if lists:
        count = max(len(names) for names in lists.values())
        return [
            {locale: names[index] for locale, names in lists.items() if index < len(names)}
            for index in range(count)
        ]
    return [course.organisers] if course.organisers else []


def pdf_of(certificate: Certificate) -> bytes:
    """The certificate's PDF, rendered once and kept in the instance folder; a revoked
    or replaced certificate still renders (organisers may need the record)."""
    path = _pdf_path(certificate)
    if path.exists():
        return path.read_bytes()
    data = render_certificate(content_of(certificate))
    write_atomically(path, data)
    return data


def forget_pdf(certificate: Certificate) -> None:
    """Remove the kept PDF (a cache of what the row says: rendered again if needed)."""
    _pdf_path(certificate).unlink(missing_ok=True)


def _pdf_path(certificate: Certificate) -> Path:
    return Path(current_app.instance_path) / "certificates" / f"{certificate.code}.pdf"


def pdf_filename(certificate: Certificate) -> str:
    return f"certificate-{certificate.course.slug}-{certificate.code[:8].lower()}.pdf"


def write_zip_of_course(
    course: Course, stream: BinaryIO, on_progress: Callable[[int, int], None] | None = None
) -> int:
    """Write every valid certificate of the edition into one ZIP, one PDF per learner,
    named so that the files sort by the learner's name. Returns how many.

    Rendering a PDF the first time takes about 20 ms (an edition's take half a
    minute), so a job runs this and ``on_progress(done, total)`` hears of each one."""
    certificates = [one for one in certificates_of_course(course) if one.is_valid]
    total = len(certificates)
    if on_progress is not None:
        on_progress(0, total)
    # PDFs are compressed already; storing them keeps the ZIP fast to build
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
        ordered = sorted(certificates, key=lambda one: (one.learner_name, one.id))
        for done, certificate in enumerate(ordered, start=1):
            archive.writestr(_zip_name(certificate), pdf_of(certificate))
            if on_progress is not None:
                on_progress(done, total)
    return total


def _zip_name(certificate: Certificate) -> str:
    safe = "".join(char if char.isalnum() else "-" for char in certificate.learner_name).strip("-")
    return f"{safe or 'learner'}-{certificate.code[:8]}.pdf"
