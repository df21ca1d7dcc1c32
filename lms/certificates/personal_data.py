"""The personal data certificates hold: each certificate with the name it was issued
to, and its PDF (kept in the instance folder). See lms.personal_data.

A de-identified certificate keeps its code, edition and dates, so its verify page still
answers ("issued on DATE for this course; the holder's name was removed at their
request") and the figures count it; the name and the PDF that shows it go.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.certificates.models import Certificate
from lms.certificates.services import forget_pdf, verify_url
from lms.db import utcnow
from lms.extensions import db
from lms.personal_data import PersonalData


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def certificates_held(user_id: int) -> list[Certificate]:
    return list(
        db.session.scalars(select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.id))
    )


def export_certificates(user_id: int) -> list[dict]:
    return [
        {
            "code": certificate.code,
            "edition": certificate.course.slug,
            "learner_name": certificate.learner_name,
            "status": certificate.status,
            "issued_at": _iso(certificate.issued_at),
            "revoked_at": _iso(certificate.revoked_at),
            "revoke_reason": certificate.revoke_reason,
            "verify_url": verify_url(certificate),
        }
        for certificate in certificates_held(user_id)
    ]


def erase_certificates(user_id: int) -> None:
    now = utcnow()
    for certificate in certificates_held(user_id):
        certificate.learner_name = ""
        certificate.revoke_reason = ""
        certificate.name_removed_at = certificate.name_removed_at or now
        forget_pdf(certificate)
    db.session.flush()


PERSONAL_DATA = (PersonalData("certificates", _l("Certificates"), export_certificates, erase_certificates),)
