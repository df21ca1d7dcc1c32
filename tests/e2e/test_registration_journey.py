"""A learner registers in Vietnamese, sees My schedule, switches a module and
downloads the personal calendar, in a real browser."""

from __future__ import annotations

from datetime import UTC

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from lms.accounts.services import create_user, find_user_by_email
from lms.extensions import db
from tests.e2e.browser import sign_in
from tests.factories import ConsentFactory

pytestmark = pytest.mark.browser

PASSWORD = "registration-journey-pw"
LEARNER = "thao.vu@example.org"


def a_new_learner(app) -> str:
    """A Vietnamese learner not yet registered (the demo learner already holds a seat in
    eip-demo), who accepted the privacy notice when signing up."""
    with app.app_context():
        if find_user_by_email(LEARNER) is None:
            learner = create_user(LEARNER, "Vũ Phương Thảo", password=PASSWORD, locale="vi", province="ninh-binh",
                                  organisation_type="park_management_board", gender="female")  # fmt: skip
            ConsentFactory(user=learner)  # as at sign-up: the demo's privacy notice is in force
            db.session.commit()
        db.session.remove()
    return LEARNER


def test_learner_registers_switches_and_downloads_the_calendar(
    page: Page, live_server, live_app, screenshots, tmp_path
):
    sign_in(page, live_server, a_new_learner(live_app), PASSWORD)
    page.goto(live_server + "/courses/eip-demo")
    page.get_by_role("link", name="Đăng ký và chọn buổi học").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Đăng ký")

    # Module 1 in run B, every other module in run A.
    groups = page.locator("fieldset.module-choice")
    expect(groups).to_have_count(6)
    for index in range(6):
        options = groups.nth(index).get_by_role("radio")
        options.nth(1 if index == 0 else 0).check()
    page.get_by_label("Thông tin của tôi ở trên là chính xác").check()
    page.get_by_label("Tham gia khóa học").check()
    page.screenshot(path=screenshots / "register-vi.png", full_page=True)
    page.get_by_role("button", name="Đăng ký", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Lịch của tôi")
    items = page.locator(".schedule-item")
    expect(items).to_have_count(6)
    expect(page.locator(".schedule-item.is-confirmed")).to_have_count(6)
    first = items.first
    expect(first).to_contain_text("Lớp B")
    page.screenshot(path=screenshots / "schedule-vi.png", full_page=True)

    # Switch module 1 to its other run.
    first.get_by_role("button", name="Đổi sang Lớp A").click()
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator(".schedule-item").first).to_contain_text("Lớp A")

    # Download the personal calendar from the profile and read it back.
    page.goto(live_server + "/account/profile")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải lịch của tôi (.ics)").click()
    path = tmp_path / "calendar.ics"
    download_info.value.save_as(path)
    calendar = Calendar.from_ical(path.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 6
    assert calendar.walk("VTIMEZONE"), "the feed carries its time zone"
    starts = sorted(event.decoded("DTSTART").astimezone(UTC) for event in events)
    assert starts == sorted(set(starts))
    first_event = min(events, key=lambda event: event.decoded("DTSTART"))
    assert "Lớp A" in str(first_event.get("SUMMARY"))
    assert first_event.decoded("DTSTART").strftime("%H:%M") == "09:00"  # run A, Viet Nam time
