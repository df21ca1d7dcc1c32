"""A trainer uploads a PDF for registered learners; a registered learner downloads it
with its Vietnamese file name; a visitor is sent to sign in. In a real browser."""

from __future__ import annotations

import re
import threading

import pytest
from flask_migrate import upgrade
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.serving import make_server

from lms import create_app, extensions
from lms.accounts.services import find_user_by_email
from lms.catalogue.models import Course
from lms.config import TestConfig
from lms.demo import load_demo
from lms.enrollment.services import Pick, is_registered, register
from tests.e2e.browser import sign_in
from tests.materials import samples

pytestmark = pytest.mark.browser

TRAINER = "lan.nguyen@trainers.example.org"
LEARNER = "learner@demo.example.org"
FILENAME = "Bài tập nhóm – Đánh giá khu công nghiệp.pdf"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The demo on its own server and database, with the learner registered for eip-demo
    (the shared live server's registration journey registers that learner itself)."""
    folder = tmp_path_factory.mktemp("materials-live")
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
        extensions.db.session.commit()
        extensions.db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        extensions.db.engine.dispose()


def sign_out(page: Page) -> None:
    page.locator('form[action$="/account/logout"] button').click()


def test_trainer_uploads_a_pdf_and_a_registered_learner_downloads_it(
    page: Page, demo_server, screenshots, tmp_path
):
    handout = tmp_path / FILENAME
    handout.write_bytes(samples.PDF)
    module_page = demo_server + "/courses/eip-demo/modules/eip-concepts"

    # The trainer adds a PDF for registered learners from the module page.
    sign_in(page, demo_server, TRAINER, lang="en", lands_on_profile=True)
    page.goto(module_page + "?lang=en")
    page.get_by_role("link", name="Manage materials").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Materials of this module")
    page.get_by_role("link", name="Add a file").click()
    page.get_by_label("File", exact=True).set_input_files(str(handout))
    page.locator("#title_vi").fill("Bài tập nhóm: đánh giá một khu công nghiệp")
    page.locator("#title_en").fill("Group exercise: review a park")
    page.locator("#description_en").fill("Bring it to the **live session**.")
    page.get_by_label("Vietnamese").check()
    page.get_by_label("Learners registered for this course", exact=True).check()
    page.screenshot(path=screenshots / "materials-upload-en.png", full_page=True)
    page.get_by_role("button", name="Upload and publish").click()
    expect(page.locator(".flash-success")).to_contain_text("The material was added.")
    item = page.locator(".manage-item", has_text="Group exercise: review a park")
    expect(item).to_contain_text(FILENAME)
    expect(item).to_contain_text("Visible to: Registered learners")
    page.screenshot(path=screenshots / "materials-manage-en.png", full_page=True)
    sign_out(page)

    # A visitor sees that there is more for registered learners, and cannot download it.
    page.goto(module_page + "?lang=en")
    expect(page.locator("#materials")).not_to_contain_text("Group exercise")
    expect(page.locator(".materials-withheld")).to_contain_text("for learners registered for this course")

    # The registered learner, reading Vietnamese, finds it among the Vietnamese materials
    # (before the English handout, which is marked) and downloads it.
    sign_in(page, demo_server, LEARNER, lang="en", lands_on_profile=True)
    page.goto(module_page + "?lang=vi")
    items = page.locator(".material")
    expect(items).to_have_count(3)
    expect(items.nth(1)).to_contain_text("Bài tập nhóm: đánh giá một khu công nghiệp")
    expect(items.nth(1)).to_contain_text("PDF")
    expect(items.nth(2)).to_have_class(re.compile("material-other-language"))
    expect(items.nth(2)).to_contain_text("Chỉ có bản Tiếng Anh")  # msgid "%(language)s only"
    page.screenshot(path=screenshots / "materials-module-vi.png", full_page=True)
    with page.expect_download() as download_info:
        items.nth(1).locator("a.button").click()
    download = download_info.value
    assert download.suggested_filename == FILENAME
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == samples.PDF
