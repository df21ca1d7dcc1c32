"""Language and time: which locale a request uses, translated fields, and formatting.

All dates, times and numbers go through Babel in the reader's locale. Course times are
shown in the course's time zone and, when a signed-in reader lives in another zone,
in theirs as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup


def language_name(code: str, in_locale: str | None = None) -> str:
    """The language ``code`` named in ``in_locale`` (default: the reader's language)."""
    try:
        name = Locale.parse(code).get_display_name(in_locale or current_locale())
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if name else code


@lru_cache(maxsize=64)
def endonym(code: str) -> str:
    """The language's name in itself ("Tiếng Việt", "English"), for the switcher: every
    page shows each one, and Babel parses the locale again on each call (kept per
    process; Babel's data does not change while it runs)."""
    return language_name(code, in_locale=code)


def supported_locales() -> list[str]:
    return current_app.config["LANGUAGES"]


def requested_locale() -> str | None:
    """The locale asked for with ``?lang=`` on this request, if it is one we have."""
    value = request.args.get("lang", "")
    return value if value in supported_locales() else None


def select_locale() -> str:
    """``?lang=``, then the signed-in user's preference, then the session,
    then the browser's Accept-Language, then the default (Vietnamese)."""
    locales = supported_locales()
    if not has_request_context():  # CLI and background work: emails use force_locale
        return locales[0]
    chosen = requested_locale()
    if chosen:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in locales:
        return current_user.locale
    return request_locale()


def request_locale() -> str:
    """The locale the request alone asks for: ``?lang=``, the session, Accept-Language,
    the default. Unlike :func:`select_locale` it never loads the signed-in user (a
    database query), so error pages can use it when the database is down or locked."""
    locales = supported_locales()
    if not has_request_context():
        return locales[0]
    chosen = requested_locale()
    if chosen:
        return chosen
    if session.get("lang") in locales:
        return session["lang"]
    return request.accept_languages.best_match(locales) or locales[0]


def current_locale() -> str:
    locale = get_locale()
    return _identifier(locale) if locale is not None else supported_locales()[0]


@lru_cache(maxsize=64)
def _identifier(locale: Locale) -> str:
    # str() of a Babel locale rebuilds its identifier; a page asks three dozen times.
    return str(locale)


# -- translated fields ------------------------------------------------------------


@dataclass(frozen=True)
class Localised:
    text: str | list[str]
    locale: str
    is_fallback: bool


def pick_translation(value: dict | None, locale: str | None = None) -> Localised:
    """The text for ``locale``, else the default locale's, else any other one."""
    value = value or {}
    locale = locale or current_locale()
    order = [locale, *supported_locales(), *sorted(value)]
    for candidate in order:
        text = value.get(candidate)
        if text:
            return Localised(text, candidate, candidate != locale)
    return Localised("", locale, False)


def tr_text(value: dict | None, locale: str | None = None) -> str:
    """Plain text of a translated field (for emails, calendars, attributes)."""
    return pick_translation(value, locale).text


def tr(value: dict | None) -> Markup:
    """HTML of a translated field; a fallback is marked with its language."""
    picked = pick_translation(value)
    if not picked.is_fallback:
        return Markup.escape(picked.text)
    name = language_name(picked.locale)
    return Markup('<span lang="{0}">{1}</span> <small class="fallback">({2})</small>').format(
        picked.locale, picked.text, name
    )


# -- dates, times, numbers ------------------------------------------------------


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or current_app.config["DEFAULT_TIMEZONE"])


def viewer_zone() -> ZoneInfo | None:
    """The signed-in reader's zone, or None for guests."""
    # One look-up of the proxy: a page asks for every session it shows.
    user = current_user._get_current_object()
    if user and user.is_authenticated and user.timezone:
        return zone(user.timezone)
    return None


# Formatting a date with Babel parses the locale's patterns and looks up its data on
# every call: about a tenth of a course page went there (12 sessions, each with its date,
# hours and zone). What these functions return depends only on their arguments and the
# locale, so each result is kept per process; the keys are the few distinct sessions and
# deadlines the pages show (bounded, least recently used first out).
_FORMATTED = 8192


def format_date(value: datetime, tz: ZoneInfo, format: str = "full") -> str:
    # Only the date in ``tz`` counts: Babel formats a datetime's date part.
    return _format_date(value.astimezone(tz).date(), format, current_locale())


@lru_cache(maxsize=_FORMATTED)
def _format_date(day: date, format: str, locale: str) -> str:
    return babel_dates.format_date(day, format, locale=locale)


def format_datetime(value: datetime, tz: ZoneInfo, format: str = "medium") -> str:
    return _format_datetime(value, tz, format, current_locale())


@lru_cache(maxsize=_FORMATTED)
def _format_datetime(value: datetime, tz: ZoneInfo, format: str, locale: str) -> str:
    return babel_dates.format_datetime(value, format, tzinfo=tz, locale=locale)


def format_short_datetime(value: datetime, tz: ZoneInfo) -> str:
    """e.g. "Th 7, 19 thg 8, 2023 23:59" / "Sat, Aug 19, 2023, 11:59 PM"."""
    return _format_short_datetime(value, tz, current_locale())


@lru_cache(maxsize=_FORMATTED)
def _format_short_datetime(value: datetime, tz: ZoneInfo, locale: str) -> str:
    local = value.astimezone(tz)
    day = babel_dates.format_skeleton("yMMMEd", local, locale=locale)
    time = babel_dates.format_time(local, "short", locale=locale)
    return f"{day}, {time}"


def format_time_range(starts: datetime, ends: datetime, tz: ZoneInfo) -> str:
    return _format_time_range(starts, ends, tz, current_locale())


@lru_cache(maxsize=_FORMATTED)
def _format_time_range(starts: datetime, ends: datetime, tz: ZoneInfo, locale: str) -> str:
    return babel_dates.format_interval(
        starts.astimezone(tz), ends.astimezone(tz), "Hm", tzinfo=tz, locale=locale
    )


def zone_label(tz: ZoneInfo, at: datetime) -> str:
    """e.g. "Giờ Việt Nam (GMT+07:00)"; the offset is the one in force at ``at``."""
    return _zone_label(tz, at, current_locale())


@lru_cache(maxsize=_FORMATTED)
def _zone_label(tz: ZoneInfo, at: datetime, locale: str) -> str:
    name = babel_dates.get_timezone_location(tz, locale=locale)
    offset = babel_dates.format_datetime(at, "ZZZZ", tzinfo=tz, locale=locale)
    return f"{name} ({offset})"


@dataclass(frozen=True)
class SessionTime:
    date: str
    times: str
    zone: str
    starts_iso: str


_SIGNED_IN_VIEWER = object()


def session_times(
    starts: datetime, ends: datetime, course_tz: ZoneInfo, viewer=_SIGNED_IN_VIEWER
) -> list[SessionTime]:
    """The session's day and hours in the course zone, then in the viewer's if different.

    ``viewer`` is a zone; by default the signed-in reader's (emails pass the recipient's).
    """
    zones = [course_tz]
    mine = viewer_zone() if viewer is _SIGNED_IN_VIEWER else viewer
    if mine is not None and _offset(mine, starts) != _offset(course_tz, starts):
        zones.append(mine)
    return [session_time(starts, ends, tz) for tz in zones]


def session_time(starts: datetime, ends: datetime, tz: ZoneInfo) -> SessionTime:
    return _session_time(starts, ends, tz, current_locale())


@lru_cache(maxsize=_FORMATTED)
def _session_time(starts: datetime, ends: datetime, tz: ZoneInfo, locale: str) -> SessionTime:
    return SessionTime(
        date=_format_date(starts.astimezone(tz).date(), "full", locale),
        times=_format_time_range(starts, ends, tz, locale),
        zone=_zone_label(tz, starts, locale),
        starts_iso=starts.astimezone(tz).isoformat(),
    )


def _offset(tz: ZoneInfo, at: datetime) -> timedelta | None:
    return at.astimezone(tz).utcoffset()


def format_countdown(delta: timedelta) -> str:
    """How long is left, precise enough to act on: "10 days", "30 hours", "45 minutes".

    A unit is used only once at least two of it are left, so ten days never reads
    as "1 week".
    """
    delta = max(delta, timedelta(minutes=1))
    return babel_dates.format_timedelta(delta, threshold=2, locale=current_locale())


def format_number(value: int | float) -> str:
    return _format_number(value, current_locale())


@lru_cache(maxsize=_FORMATTED, typed=True)  # 1 and 1.0 apart
def _format_number(value: int | float, locale: str) -> str:
    # Kept as the dates are (above): the registration form shows a dozen seat counts.
    return babel_numbers.format_decimal(value, locale=locale)


def url_with_lang(code: str) -> str:
    """The current page's address with ``?lang=`` set to ``code``."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return request.path + "?" + urlencode(args, doseq=True)


# -- the templates' gettext ------------------------------------------------------


def request_gettext() -> dict:
    """Template context processor: ``_``, ``gettext`` and ``ngettext`` bound to the
    translations in force when the template is rendered.

    Flask-Babel's callables (the Jinja environment's globals, still used by imported
    macros, which do not see the context) look the request's domain, locale and
    translations up again on every call: three to four dozen strings a page cost about a
    tenth of its time. The wrappers behave as Jinja's "newstyle" gettext does (escaped
    under autoescape, always %-formatted, ``num`` given to ngettext)."""
    translations = get_translations()
    gettext = _newstyle_gettext(translations.ugettext)
    # ``_`` too: Jinja's i18n extension makes it an alias that resolves ``gettext`` in the
    # context and calls it, two template calls for each of a page's forty strings.
    return {"_": gettext, "gettext": gettext, "ngettext": _newstyle_ngettext(translations.ungettext)}


def _newstyle_gettext(translate):
    # The evaluation context, not the template context: a function taking the template
    # context is given a copy of it with the loop's variables at each call in a loop.
    @pass_eval_context
    def gettext(eval_ctx, string: str, /, **variables) -> str:
        text = translate(string)
        # As Jinja's own: the catalogs' text is ours, and %-formatting escapes the values.
        return (Markup(text) if eval_ctx.autoescape else text) % variables  # noqa: S704  # nosec B704

    return gettext


def _newstyle_ngettext(translate):
    @pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, number: int, /, **variables) -> str:
        variables.setdefault("num", number)
        text = translate(singular, plural, number)
        return (Markup(text) if eval_ctx.autoescape else text) % variables  # noqa: S704  # nosec B704

    return ngettext


def template_helpers() -> dict:
    return {
        "tr": tr,
        "tr_text": tr_text,
        "pick_translation": pick_translation,
        "format_date": format_date,
        "format_datetime": format_datetime,
        "format_short_datetime": format_short_datetime,
        "format_time_range": format_time_range,
        "format_countdown": format_countdown,
        "format_number": format_number,
        "session_times": session_times,
        "zone": zone,
        "zone_label": zone_label,
        "current_locale": current_locale,
        "supported_locales": supported_locales,
        "endonym": endonym,
        "language_name": language_name,
        "url_with_lang": url_with_lang,
    }
