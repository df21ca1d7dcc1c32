"""The version of what the public verify page shows of a certificate: its state, the
name on it, and its edition's title and dates (one query)."""

from __future__ import annotations

from sqlalchemy import Text, func, select, type_coerce

from lms.caching.versions import digest, read_rows
from lms.catalogue.models import Course, Module, Run
from lms.certificates.models import Certificate
from lms.certificates.services import normalise_code


def _edition_dates(bound):
    return (
        select(bound(Run.starts_at) if bound is func.min else bound(Run.ends_at))
        .join(Module, Module.id == Run.module_id)
        .where(Module.course_id == Certificate.course_id)
        .scalar_subquery()
    )


def certificate_version(code: str) -> str | None:
    """None when no certificate has this code (the page answers 404, uncached)."""
    normalised = normalise_code(code)
    if normalised is None:
        return None
    rows = read_rows(
        select(
            Certificate.id,
            Certificate.code,
            Certificate.status,
            Certificate.learner_name,
            Certificate.issued_at,
            Certificate.revoked_at,
            Certificate.replaced_by_id,
            Course.updated_at,
            Course.timezone,
            type_coerce(Course.title, Text),
            _edition_dates(func.min),
            _edition_dates(func.max),
        )
        .join(Course, Course.id == Certificate.course_id)
        .where(Certificate.code == normalised)
    )
    return digest(rows[0]) if rows else None
