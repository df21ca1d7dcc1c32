"""Consent given on the sign-up form.

The sign-up form belongs to accounts, which ranks below consent; accounts sends
``lms.signals.account_created`` inside the sign-up's transaction and ``create_app``
connects this receiver to it. Refusing (no course consent, a tampered purpose) raises,
so the account is not created either.
"""

from __future__ import annotations

from lms.consent.models import How, Purpose
from lms.consent.services import COURSE_CONSENT_MISSING, accept_notice, parse_purposes
from lms.errors import ServiceError


def check_signup_consents(_sender, form, **_) -> object:
    """What is wrong with the ticked purposes (a message), or None."""
    try:
        purposes = parse_purposes(form.getlist("consent"))
    except ServiceError as refusal:
        return refusal.message
    return None if Purpose.COURSE in purposes else COURSE_CONSENT_MISSING


def record_signup_consents(user, form, **_) -> None:
    accept_notice(user, parse_purposes(form.getlist("consent")), How.SIGNUP)
