"""A learner downloads a copy of their data and asks for their account to be deleted;
an organiser carries the request out, and the learner can no longer sign in."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lms.accounts.services import create_user
from lms.extensions import db
from tests.e2e.browser import sign_in
from tests.jobs.background import run_jobs

pytestmark = pytest.mark.browser

PASSWORD = "hoa-learner-password"


def test_download_then_deletion(page: Page, live_server, live_app, screenshots):
    with live_app.app_context():
        create_user("hoa.vu@example.org", "Vũ Thị Hoa", password=PASSWORD, locale="vi")
        db.session.commit()

    sign_in(page, live_server, "hoa.vu@example.org", PASSWORD, lang="vi")
    page.goto(live_server + "/account/data")
    page.get_by_role("button", name="Chuẩn bị bản sao dữ liệu của tôi").click()
    expect(page.get_by_text("Chúng tôi đang chuẩn bị dữ liệu của bạn.")).to_be_visible()
    with live_app.app_context():
        assert run_jobs(live_app) >= 1
    page.reload()
    page.screenshot(path=str(screenshots / "privacy-data-vi.png"), full_page=True)
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Tải về (ZIP)").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(waiting.value.path()).read_bytes()))
    assert json.loads(archive.read("data.json"))["profile"][0]["full_name"] == "Vũ Thị Hoa"

    page.get_by_role("link", name="Yêu cầu xóa tài khoản và dữ liệu của bạn").click()
    page.get_by_label("Lý do (không bắt buộc)").fill("Tôi chuyển sang cơ quan khác.")
    page.get_by_label("Mật khẩu của bạn, để xác nhận").fill(PASSWORD)
    page.screenshot(path=str(screenshots / "privacy-delete-vi.png"), full_page=True)
    page.get_by_role("button", name="Gửi yêu cầu xóa tài khoản").click()
    expect(page.get_by_text("Yêu cầu của bạn đã được ghi nhận.")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, live_server, "organiser@demo.example.org", lang="vi")
    page.goto(live_server + "/organise/privacy/requests?lang=vi")
    row = page.get_by_role("row").filter(has_text="hoa.vu@example.org")
    expect(row).to_contain_text("còn 15 ngày")
    page.screenshot(path=str(screenshots / "privacy-requests-vi.png"), full_page=True)
    row.get_by_role("button", name="Xóa dữ liệu của người này").click()
    expect(page.get_by_text("dữ liệu của người này đã được ẩn danh")).to_be_visible()
    expect(page.get_by_text("hoa.vu@example.org")).to_have_count(0)

    page.context.clear_cookies()
    sign_in(page, live_server, "hoa.vu@example.org", PASSWORD, lang="vi")
    expect(page.get_by_text("Email hoặc mật khẩu không đúng.")).to_be_visible()
