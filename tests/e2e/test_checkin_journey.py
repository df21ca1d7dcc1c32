"""A learner checks in with the session's code on a phone-sized screen; the trainer sees
the mark, with its source, on the attendance sheet. In a real browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms import extensions
from lms.accounts.services import find_user_by_email
from lms.attendance import checkin
from lms.catalogue.models import Course
from tests.e2e.browser import demo_served, sign_in

pytestmark = pytest.mark.browser

TRAINER = "lan.nguyen@trainers.example.org"
LEARNER = "learner@demo.example.org"


@pytest.fixture(scope="module")
def session_on_now(tmp_path_factory):
    """The demo on its own server; the learner holds a seat in a run that started ten
    minutes ago and that the trainer teaches. Yields (app, base URL, run id)."""
    arranged = {}

    def start_a_run_now() -> None:
        course = extensions.db.session.scalar(select(Course).where(Course.slug == "eip-demo"))
        run = course.modules[0].runs[0]  # the demo seats its learner in every first run
        run.starts_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
        run.ends_at = run.starts_at + timedelta(hours=2)
        trainer = find_user_by_email(TRAINER)
        if trainer not in run.trainers:
            run.trainers.append(trainer)
        arranged["run_id"] = run.id

    with demo_served(tmp_path_factory.mktemp("checkin-live"), start_a_run_now) as (app, base):
        yield app, base, arranged["run_id"]


def test_a_learner_checks_in_on_a_phone_and_the_trainer_sees_the_mark(
    page: Page, session_on_now, screenshots
):
    app, base, run_id = session_on_now
    page.set_viewport_size({"width": 390, "height": 844})

    # The trainer's sheet shows the code (and its QR) while the session is on.
    sign_in(page, base, TRAINER, lang="en", lands_on_profile=True)
    page.goto(f"{base}/teach/runs/{run_id}/attendance?lang=en")
    code = page.locator(".checkin-code strong").inner_text().strip()
    with app.app_context():
        from lms.catalogue.models import Run

        assert code == checkin.current_code(extensions.db.session.get(Run, run_id), datetime.now(UTC))
        extensions.db.session.remove()
    expect(page.locator("svg.qr-code")).to_be_visible()
    page.goto(f"{base}/teach?lang=en")
    page.screenshot(path=str(screenshots / "teach-phone.png"), full_page=True)
    page.locator('form[action$="/account/logout"] button').click()

    # The learner types it on My schedule, on a phone-sized screen.
    sign_in(page, base, LEARNER, lang="en", lands_on_profile=True)
    page.goto(f"{base}/my/schedule?lang=en")
    page.get_by_label("Check-in code shown by the trainer").first.fill(code.lower())
    page.screenshot(path=str(screenshots / "checkin-phone.png"), full_page=True)
    page.get_by_role("button", name="Check in").first.click()
    expect(page.get_by_text("You are checked in: marked present.")).to_be_visible()
    page.locator('form[action$="/account/logout"] button').click()

    # The trainer reloads the sheet: the learner is present, by check-in.
    sign_in(page, base, TRAINER, lang="en", lands_on_profile=True)
    page.goto(f"{base}/teach/runs/{run_id}/attendance?lang=en")
    row = page.locator("tr", has_text="learner@demo.example.org")
    expect(row.locator("select")).to_have_value("present")
    expect(row.locator(".mark-source")).to_contain_text("Check-in")
    page.screenshot(path=str(screenshots / "checkin-sheet-phone.png"), full_page=True)
