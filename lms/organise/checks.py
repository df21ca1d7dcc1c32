"""Checks shared by the organiser's forms: texts per language, time zones, local times,
join links and edition addresses. A refusal that belongs to one field is a
``FieldError`` naming that form field, so the page shows it next to the field."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.catalogue.content import SLUG
from lms.catalogue.models import Course
from lms.deadlines import wall_clock_to_utc
from lms.errors import FieldError
from lms.extensions import db

# Addresses the organiser pages themselves use under /organise/courses/.
RESERVED_SLUGS = {"new"}


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zones() -> list[str]:
    """Every zone the server knows by its area and city name, Viet Nam's first."""
    default = current_app.config["DEFAULT_TIMEZONE"]
    names = sorted(name for name in _known_zones() if "/" in name and not name.startswith("Etc/"))
    return [default, *(name for name in names if name != default), "UTC"]


def default_locale() -> str:
    return current_app.config["LANGUAGES"][0]


def clean_texts(value: dict) -> dict:
    return {locale: text.strip() for locale, text in (value or {}).items() if text and text.strip()}


def clean_lists(value: dict) -> dict:
    cleaned = {}
    for locale, items in (value or {}).items():
        items = [item.strip() for item in items or [] if item and item.strip()]
        if items:
            cleaned[locale] = items
    return cleaned


def require_default_language(texts: dict, field_prefix: str, message) -> None:
    if not texts.get(default_locale()):
        raise FieldError(f"{field_prefix}_{default_locale()}", message)


def zone_named(name: str) -> ZoneInfo:
    try:
        if name not in _known_zones() and name != "UTC":
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError("timezone", _l("Please choose a time zone from the list.")) from None


def to_utc(local: datetime, tz: ZoneInfo, field_name: str) -> datetime:
    """A wall-clock time in ``tz`` as an aware UTC datetime; refuse one the clocks skip."""
    converted = wall_clock_to_utc(local, tz)
    if converted is None:
        raise FieldError(
            field_name,
            _l("This time does not exist in the course's time zone on that day, because the clocks change. Please choose another time."),
        )  # fmt: skip
    return converted


def check_join_link(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or len(url) > 500:
        raise FieldError("join_url", _l("The join link must be a full address starting with https://."))
    return url


def _slug_taken(slug: str, except_id: int | None = None) -> bool:
    query = select(Course.id).where(func.lower(Course.slug) == slug.lower())
    if except_id is not None:
        query = query.where(Course.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def check_slug(slug: str, except_id: int | None = None) -> str:
    slug = (slug or "").strip()
    if not SLUG.match(slug) or slug in RESERVED_SLUGS:
        raise FieldError(
            "slug",
            _l("Use 2 to 80 lower-case letters, digits and hyphens, starting with a letter or digit, e.g. eip-2025."),
        )  # fmt: skip
    if _slug_taken(slug, except_id):
        raise FieldError("slug", _l("Another edition already uses the address %(slug)s. Please choose another one.", slug=slug))  # fmt: skip
    return slug
