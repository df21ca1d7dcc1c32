"""What every browser journey does the same way: signing in through the real form."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from lms.demo import DEMO_PASSWORD

# The sign-in form's labels per language (the page's own words, as a person reads them).
SIGN_IN_LABELS = {"vi": ("Mật khẩu", "Đăng nhập"), "en": ("Password", "Sign in")}


def sign_in(
    page: Page, base: str, email: str, password: str = DEMO_PASSWORD, *, lang: str | None = None,
    lands_on_profile: bool = False,
) -> None:  # fmt: skip
    """Sign in on the form. ``lang`` asks for that language (``?lang=``, kept in the
    session); without it the page is in the default language, Vietnamese."""
    page.goto(base + "/account/login" + (f"?lang={lang}" if lang else ""))
    password_label, button = SIGN_IN_LABELS[lang or "vi"]
    page.get_by_label("Email").fill(email)
    page.get_by_label(password_label).fill(password)
    page.get_by_role("button", name=button).click()
    if lands_on_profile:
        expect(page).to_have_url(re.compile(r"/account/profile"))
