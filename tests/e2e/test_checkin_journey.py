"""A learner checks in with the session's code on a phone-sized screen; the trainer sees
the mark, with its source, on the attendance sheet. In a real browser."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.serving import make_server

from lms import create_app, extensions
from lms.accounts.services import find_user_by_email
from lms.attendance import checkin
from lms.catalogue.models import Course
from lms.config import TestConfig
from lms.demo import load_demo
from lms.enrollment.services import Pick, is_registered, register
from tests.e2e.browser import sign_in

pytestmark = pytest.mark.browser

TRAINER = "lan.nguyen@trainers.example.org"
LEARNER = "learner@demo.example.org"


@pytest.fixture(scope="module")
def session_on_now(tmp_path_factory):
    """The demo on its own server; the learner holds a seat in a run that started ten
    minutes ago and that the trainer teaches. Yields (app, base URL, run id)."""
    folder = tmp_path_factory.mktemp("checkin-live")
    app = create_app(TestConfig(f"sqlite:///{folder / 'live.sqlite3'}", folder / "instance"))
    with app.app_context():
        upgrade()
        load_demo()
        course = extensions.db.session.scalar(select(Course).where(Course.slug == "eip-demo"))
        learner = find_user_by_email(LEARNER)
        if not is_registered(learner, course.id):  # the demo seats its learner in every first run
            picks = {module.id: Pick(module.runs[0].id) for module in course.modules}
            with app.test_request_context():
                register(learner, course, picks, accepted_privacy=True)
        run = course.modules[0].runs[0]
        run.starts_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
        run.ends_at = run.starts_at + timedelta(hours=2)
        trainer = find_user_by_email(TRAINER)
        if trainer not in run.trainers:
            run.trainers.append(trainer)
        run_id = run.id
        extensions.db.session.commit()
        extensions.db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, base, run_id
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        extensions.db.engine.dispose()


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
