"""Which language a request gets, translated fields, and date formatting."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from flask_login import login_user

from lms import i18n
from tests.factories import UserFactory
from tests.helpers import page_text

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NO_SPACES = str.maketrans("", "", " \u2009\u202f\u00a0")


def html_lang(response) -> str:
    return page_text(response).split('<html lang="', 1)[1].split('"', 1)[0]


def test_default_is_vietnamese(client):
    assert html_lang(client.get("/")) == "vi"


def test_accept_language_beats_the_default(client):
    assert html_lang(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})) == "en"


def test_session_beats_accept_language_and_lang_is_remembered(client):
    assert html_lang(client.get("/?lang=en")) == "en"
    assert html_lang(client.get("/", headers={"Accept-Language": "vi"})) == "en"
    assert html_lang(client.get("/courses/nope")) == "en"


def test_an_unknown_lang_is_ignored(client):
    assert html_lang(client.get("/?lang=xx")) == "vi"


def test_signed_in_preference_beats_session_and_lang_updates_it(client, db):
    user = UserFactory(email="anna@example.org", locale="en")
    client.get("/?lang=vi")  # a guest's choice in the session
    client.sign_in("anna@example.org")
    client.get("/?lang=vi")
    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "vi"
    db.session.refresh(user)
    assert user.locale == "vi"  # the switch sticks, and emails follow it


def test_user_preference_beats_session(client, db):
    UserFactory(email="anna@example.org", locale="en")
    client.get("/?lang=vi")
    client.sign_in("anna@example.org")
    with client.session_transaction() as session:
        session["lang"] = "vi"
    assert html_lang(client.get("/")) == "en"


def test_switcher_keeps_the_page_and_its_query(client):
    text = page_text(client.get("/courses/x?page=2"))
    assert 'href="/courses/x?page=2&amp;lang=en"' in text


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("vi", "Thứ Ba, 10 tháng 10, 2023"), ("en", "Tuesday, October 10, 2023")],
)
def test_dates_are_formatted_for_the_reader(app, locale, expected):
    # 02:00 UTC is 09:00 in Viet Nam, on the same day.
    moment = datetime(2023, 10, 10, 2, 0, tzinfo=UTC)
    with app.test_request_context(), force_locale(locale):
        assert i18n.format_date(moment, VN) == expected
        assert (
            i18n.format_time_range(moment, moment.replace(hour=4), VN).translate(NO_SPACES) == "09:00–11:00"
        )


def test_deadline_is_shown_in_the_course_zone(app):
    closes = datetime(2023, 8, 19, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Hanoi
    with app.test_request_context(), force_locale("en"):
        assert i18n.format_short_datetime(closes, VN) == "Sat, Aug 19, 2023, 11:59\u202fPM"
        assert i18n.zone_label(VN, closes) == "Vietnam Time (GMT+07:00)"
    with app.test_request_context(), force_locale("vi"):
        assert i18n.format_short_datetime(closes, VN) == "Th 7, 19 thg 8, 2023, 23:59"


def test_numbers_and_durations_follow_the_locale(app):
    with app.test_request_context(), force_locale("vi"):
        assert i18n.format_number(4160000) == "4.160.000"
    with app.test_request_context(), force_locale("en"):
        assert i18n.format_number(4160000) == "4,160,000"


def test_session_times_add_the_viewers_zone_when_it_differs(app, db):
    anna = UserFactory(email="anna@example.org", timezone="Europe/Zurich", locale="en")
    starts = datetime(2023, 10, 10, 2, 0, tzinfo=UTC)
    ends = datetime(2023, 10, 10, 4, 0, tzinfo=UTC)
    with app.test_request_context():
        assert len(i18n.session_times(starts, ends, VN)) == 1  # a guest sees the course zone
    with app.test_request_context(), force_locale("en"):
        login_user(anna)
        course_time, mine = i18n.session_times(starts, ends, VN)
    assert course_time.times.translate(NO_SPACES) == "09:00–11:00"
    assert mine.times.translate(NO_SPACES) == "04:00–06:00"  # Zurich is on summer time (UTC+2)
    assert "Switzerland" in mine.zone and "GMT+02:00" in mine.zone


def test_translated_fields_fall_back_visibly(app):
    with app.test_request_context(), force_locale("en"):
        assert i18n.tr({"vi": "Khu công nghiệp", "en": "Industrial park"}) == "Industrial park"
        marked = str(i18n.tr({"vi": "Chỉ có tiếng Việt"}))
        assert '<span lang="vi">Chỉ có tiếng Việt</span>' in marked
        assert "(Vietnamese)" in marked
        assert i18n.tr_text({"vi": "Chỉ có tiếng Việt"}) == "Chỉ có tiếng Việt"
    with app.test_request_context(), force_locale("vi"):
        assert "(Tiếng Anh)" in str(i18n.tr({"en": "English only"}))


def test_translated_fields_escape_html(app):
    with app.test_request_context(), force_locale("en"):
        assert "<script>" not in str(i18n.tr({"vi": "<script>alert(1)</script>"}))


def test_a_third_language_needs_no_schema_change(app):
    # Text for a language the site does not offer yet is stored and picked when asked.
    value = {
        "vi": "Khu công nghiệp sinh thái",
        "en": "Eco-industrial park",
        "id": "Kawasan industri ekologis",
    }
    with app.test_request_context():
        assert i18n.pick_translation(value, "id").text == "Kawasan industri ekologis"
        assert i18n.language_name("id", "en") == "Indonesian"


ZURICH = ZoneInfo("Europe/Zurich")


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_kept_formats_equal_babels_own_in_each_language_and_zone(app, locale):
    """The formatting helpers keep their results per process: each must still be exactly
    what Babel writes for that locale, zone and moment, whatever was asked before."""
    from babel import dates as babel_dates

    moments = [
        datetime(2023, 10, 10, 2, 0, tzinfo=UTC),
        datetime(2023, 10, 10, 23, 30, tzinfo=UTC),  # already the 11th in Viet Nam and Zurich
        datetime(2024, 1, 15, 8, 0, tzinfo=UTC),  # Zurich on winter time (GMT+01:00)
    ]
    for _ in range(2):  # the second round is answered from what the first one kept
        for other in ("en", "vi"):  # the other language in between: no mix-up
            with app.test_request_context(), force_locale(other):
                i18n.format_date(moments[0], VN)
            for moment in moments:
                ends = moment.replace(minute=45)
                for tz in (VN, ZURICH):
                    local = moment.astimezone(tz)
                    with app.test_request_context(), force_locale(locale):
                        assert i18n.format_date(moment, tz) == babel_dates.format_date(
                            local, "full", locale=locale
                        )
                        assert i18n.format_datetime(moment, tz) == babel_dates.format_datetime(
                            moment, "medium", tzinfo=tz, locale=locale
                        )
                        assert i18n.format_time_range(moment, ends, tz) == babel_dates.format_interval(
                            local, ends.astimezone(tz), "Hm", tzinfo=tz, locale=locale
                        )
                        assert i18n.format_short_datetime(moment, tz) == (
                            babel_dates.format_skeleton("yMMMEd", local, locale=locale)
                            + ", "
                            + babel_dates.format_time(local, "short", locale=locale)
                        )
                        assert i18n.zone_label(tz, moment) == (
                            f"{babel_dates.get_timezone_location(tz, locale=locale)} "
                            f"({babel_dates.format_datetime(moment, 'ZZZZ', tzinfo=tz, locale=locale)})"
                        )


def test_kept_session_times_follow_the_zone_the_day_and_the_language(app):
    late = datetime(2023, 10, 10, 23, 30, tzinfo=UTC)
    same_moment_in_vn = late.astimezone(VN)
    with app.test_request_context(), force_locale("en"):
        first = i18n.session_time(late, late.replace(minute=45), VN)
        again = i18n.session_time(same_moment_in_vn, same_moment_in_vn.replace(minute=45), VN)
        zurich = i18n.session_time(late, late.replace(minute=45), ZURICH)
        winter = i18n.session_time(
            datetime(2024, 1, 15, 8, 0, tzinfo=UTC), datetime(2024, 1, 15, 9, 0, tzinfo=UTC), ZURICH
        )
    with app.test_request_context(), force_locale("vi"):
        vietnamese = i18n.session_time(late, late.replace(minute=45), VN)
    assert first == again
    assert first.date == "Wednesday, October 11, 2023" and first.starts_iso == "2023-10-11T06:30:00+07:00"
    assert zurich.date == "Wednesday, October 11, 2023" and "GMT+02:00" in zurich.zone
    assert "GMT+01:00" in winter.zone and winter.times.translate(NO_SPACES) == "09:00–10:00"
    assert vietnamese.date == "Thứ Tư, 11 tháng 10, 2023" and vietnamese.zone.startswith("Giờ")


# A template that says the same things through the context's gettext (bound once per
# render, lms.i18n.request_gettext) and through the environment's (Flask-Babel's, as
# imported macros see it).
SAME_TWICE = """{% macro again() %}{{ _("My schedule") }}|{{ _("Module %(num)s", num="<b>") }}|{{ ngettext("Trainer:", "Trainers:", 2) }}|{{ ngettext("%(num)s seat left", "%(num)s seats left", 3, num="3") }}|{% trans %}Sign out{% endtrans %}{% endmacro %}
{{- _("My schedule") }}|{{ _("Module %(num)s", num="<b>") }}|{{ ngettext("Trainer:", "Trainers:", 2) }}|{{ ngettext("%(num)s seat left", "%(num)s seats left", 3, num="3") }}|{% trans %}Sign out{% endtrans %}
{{ again() }}"""


@pytest.mark.parametrize(
    "locale, expected",
    [
        ("vi", "Lịch của tôi|Học phần &lt;b&gt;|Giảng viên:|Còn 3 chỗ|Đăng xuất"),
        ("en", "My schedule|Module &lt;b&gt;|Trainers:|3 seats left|Sign out"),
    ],
)
def test_templates_gettext_is_the_requests_translations(app, locale, expected):
    from flask import render_template_string

    with app.test_request_context(f"/?lang={locale}"):
        bound, environment = render_template_string(SAME_TWICE).split("\n")
        with force_locale("en" if locale == "vi" else "vi"):
            forced = render_template_string(SAME_TWICE).split("\n")[0]
    assert bound == environment == expected
    assert forced != bound  # rendered under force_locale (emails): that locale's text
