"""What the public verify page shows of a certificate, read with one lean query: its
state, the name on it, and its edition's title, zone and dates. The page is rendered
from it and its digest is the page's version (lms.caching turns it into the ETag), so
what is shown and what is versioned cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Text, bindparam, func, select, type_coerce

from lms.caching.versions import digest, once_per_request, read_rows
from lms.catalogue.models import Course, Module, Run
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.services import normalise_code
from lms.db import UTCDateTime


@dataclass(frozen=True)
class Verification:
    code: str
    status: str
    learner_name: str
    issued_at: datetime
    revoked_at: datetime | None
    name_removed_at: datetime | None
    course_title: dict
    timezone: str
    starts_at: datetime | None
    ends_at: datetime | None

    @property
    def is_valid(self) -> bool:
        return self.status == CertificateStatus.VALID

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _edition_bound(bound, column):
    return (
        select(type_coerce(bound(column), UTCDateTime))
        .join(Module, Module.id == Run.module_id)
        .where(Module.course_id == Certificate.course_id)
        .scalar_subquery()
    )


@lru_cache(maxsize=1)
def _statement():
    """Built once per process (building a statement costs more than running it here)."""
    return (
        select(
            Certificate.code,
            Certificate.status,
            Certificate.learner_name,
            Certificate.issued_at,
            Certificate.revoked_at,
            Certificate.name_removed_at,
            Course.title,
            Course.timezone,
            _edition_bound(func.min, Run.starts_at),
            _edition_bound(func.max, Run.ends_at),
            # what else tells the certificate's edition changed (not shown, but cheap)
            Certificate.replaced_by_id,
            Course.updated_at,
            type_coerce(Course.title, Text),
        )
        .join(Course, Course.id == Certificate.course_id)
        .where(Certificate.code == bindparam("code"))
    )


def _read(code: str) -> tuple[Verification, str] | None:
    normalised = normalise_code(code)
    if normalised is None:
        return None
    rows = read_rows(_statement(), {"code": normalised})
    if not rows:
        return None
    return Verification(*rows[0][:10]), digest(rows[0][:6], rows[0][7:])


def verification(code: str) -> Verification | None:
    """The certificate as the verify page shows it, or None (read once per request)."""
    found = once_per_request(("verification", code), lambda: _read(code))
    return found[0] if found else None


def certificate_version(code: str) -> str | None:
    """None when no certificate has this code (the page answers 404, uncached)."""
    found = once_per_request(("verification", code), lambda: _read(code))
    return found[1] if found else None
