"""A trainer uploads a PDF for registered learners; a registered learner downloads it
with its Vietnamese file name; a visitor is sent to sign in. In a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import demo_served, sign_in
from tests.materials import samples

pytestmark = pytest.mark.browser

TRAINER = "lan.nguyen@trainers.example.org"
LEARNER = "learner@demo.example.org"
FILENAME = "Bài tập nhóm – Đánh giá khu công nghiệp.pdf"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The demo on its own server and database (the demo seats its learner in eip-demo;
    the shared live server's journeys change that learner's registration)."""
    with demo_served(tmp_path_factory.mktemp("materials-live")) as (_, base):
        yield base


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
