"""A newcomer's first visit, in a real browser: catalogue in Vietnamese, switch to
English, open the course, sign up, sign in again, see the profile."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_newcomer_switches_language_signs_up_and_sees_profile(page: Page, live_server, screenshots):
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Đào tạo trực tuyến miễn phí")
    page.screenshot(path=screenshots / "catalogue-vi.png", full_page=True)

    page.get_by_role("navigation", name="Ngôn ngữ").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Free online training")

    page.get_by_role(
        "link", name=re.compile(r"Online training course on eco-industrial parks 2023 \(demo")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("(demo edition)")
    expect(page.locator(".module-card")).to_have_count(6)
    expect(page.locator(".run")).to_have_count(12)
    expect(page.get_by_text("Registration is open.")).to_be_visible()
    page.screenshot(path=screenshots / "course-en.png", full_page=True)

    page.get_by_role("link", name="Create account").first.click()
    page.get_by_label("Email").fill("mai.hoang@example.org")
    page.get_by_label("Password", exact=True).fill("mai-strong-password")
    page.get_by_label("Repeat password").fill("mai-strong-password")
    page.get_by_label("Full name").fill("Hoàng Thị Mai")
    page.get_by_label("Organisation", exact=True).fill("Ban quản lý KCN Cần Thơ")
    page.get_by_label("Type of organisation").select_option("park_management_board")
    page.get_by_label("Province or city").select_option("can-tho")
    page.get_by_label("Gender").select_option("female")
    page.get_by_label("Preferred language").select_option("en")
    page.get_by_label("Taking part in the course").check()
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    expect(page.get_by_text("Welcome, Hoàng Thị Mai!")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("mai.hoang@example.org")
    page.get_by_label("Password").fill("mai-strong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    expect(page.get_by_label("Full name")).to_have_value("Hoàng Thị Mai")
    expect(page.get_by_label("Province or city")).to_have_value("can-tho")
    page.screenshot(path=screenshots / "profile-en.png", full_page=True)


def test_course_page_is_readable_on_a_phone(page: Page, live_server, screenshots):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server + "/courses/eip-2023?lang=vi")
    expect(page.locator(".module-card")).to_have_count(6)
    # Nothing overflows sideways at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=screenshots / "course-vi-phone.png", full_page=True)
