"""An organiser clones the demo edition as a new one a few months later and finds its
runs on the same weekdays and at the same local times; the set-up forms in both
languages, in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from babel import dates as babel_dates
from playwright.sync_api import Page, expect

from lms import extensions
from lms.organise.copying import first_day
from lms.organise.editions import find_edition
from tests.e2e.browser import sign_in

pytestmark = pytest.mark.browser

ORGANISER = "organiser@demo.example.org"


def demo_schedule(live_app):
    """(first local day, [(local start, local end) of every run]) of eip-demo."""
    with live_app.app_context():
        course = find_edition("eip-demo")
        zone = course.zone
        runs = [(run.starts_at.astimezone(zone), run.ends_at.astimezone(zone)) for run in course.runs]
        day = first_day(course)
        extensions.db.session.remove()
    return day, runs


def test_organiser_clones_the_demo_edition_and_sees_its_runs(page: Page, live_server, live_app, screenshots):
    old_first, old_runs = demo_schedule(live_app)
    new_first = old_first + timedelta(weeks=13)  # about three months later, same weekday
    sign_in(page, live_server, ORGANISER, lang="vi", lands_on_profile=True)

    page.get_by_role("link", name="Tổ chức").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Các đợt học")
    row = page.locator("tr", has_text="eip-demo")
    row.get_by_role("link", name="Sao chép thành đợt học mới").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sao chép thành đợt học mới")
    expect(page.locator("main")).to_contain_text("Đợt học này bắt đầu vào")

    # A day on another weekday is refused with a suggestion, and nothing is created.
    page.get_by_label("Địa chỉ của đợt học mới").fill("eip-demo-next")
    page.get_by_label("Ngày đầu tiên của đợt học mới").fill((new_first + timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Tạo đợt học mới").click()
    expect(page.locator(".error")).to_contain_text("Vui lòng chọn một ngày")
    page.screenshot(path=screenshots / "organise-copy-refused-vi.png", full_page=True)

    page.get_by_label("Ngày đầu tiên của đợt học mới").fill(new_first.isoformat())
    page.locator("#title_vi").fill("Khóa đào tạo về khu công nghiệp sinh thái (đợt tiếp theo)")
    page.locator("#title_en").fill("Eco-industrial parks training (next edition)")
    page.screenshot(path=screenshots / "organise-copy-vi.png", full_page=True)
    page.get_by_role("button", name="Tạo đợt học mới").click()

    expect(page).to_have_url(re.compile(r"/organise/courses/eip-demo-next$"))
    expect(page.locator(".flash-success")).to_contain_text("eip-demo-next")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Khóa đào tạo về khu công nghiệp sinh thái (đợt tiếp theo)"
    )
    expect(page.locator(".badge", has_text="Bản nháp").first).to_be_visible()
    rows = page.locator("tr[id^=run-]")
    expect(rows).to_have_count(len(old_runs))
    # Every run moved by the same 91 days: same weekday, same local hours.
    for starts, ends in old_runs:
        moved = starts + timedelta(weeks=13)
        day = babel_dates.format_date(moved.date(), "medium", locale="vi")
        same_hours = (
            rows.filter(has_text=day).filter(has_text=f"{starts:%H:%M}").filter(has_text=f"{ends:%H:%M}")
        )
        expect(same_hours.first).to_be_visible()
    page.screenshot(path=screenshots / "organise-edition-vi.png", full_page=True)

    # The forms, in Vietnamese and in English.
    base = live_server + "/organise/courses/eip-demo-next"
    first_run = rows.first.get_attribute("id").removeprefix("run-")
    forms = {
        "settings": base + "/settings",
        "module": base + "/modules/eip-concepts",
        "new-run": base + "/modules/eip-concepts/runs/new",
        "run": f"{live_server}/organise/runs/{first_run}",
        "cancel-run": f"{live_server}/organise/runs/{first_run}/cancel",
        "copy": base + "/copy",
    }
    for lang in ("vi", "en"):
        for name, url in forms.items():
            page.goto(f"{url}?lang={lang}")
            expect(page.locator("html")).to_have_attribute("lang", lang)
            expect(page.locator("form[method=post] button[type=submit]").last).to_be_visible()
            page.screenshot(path=screenshots / f"organise-{name}-{lang}.png", full_page=True)

    # A run that would end before it starts is refused next to the field (English now).
    page.goto(f"{live_server}/organise/runs/{first_run}?lang=en")
    page.get_by_label("Ends at").fill("08:00")
    page.get_by_role("button", name="Save the run").click()
    expect(page.locator("#form-error")).to_contain_text("Nothing was saved")
    expect(page.locator(".field.has-error")).to_contain_text("The run must end after it starts.")
    page.screenshot(path=screenshots / "organise-run-refused-en.png", full_page=True)
    page.goto(live_server + "/?lang=vi")  # leave the organiser reading Vietnamese
