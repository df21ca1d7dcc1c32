"""The organiser opens the demo edition's dashboard, sees its charts in both languages,
and downloads the attendance spreadsheet (prepared by a job, watched on its page)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.accounts.services import create_user
from lms.catalogue.models import Course
from lms.demo import DEMO_PASSWORD
from lms.extensions import db
from lms.jobs import tracking
from tests.factories import AttendanceFactory, hold

pytestmark = pytest.mark.browser


def learner_marked_present(app) -> datetime:
    """A learner of the demo edition with a seat in module 1, marked present; returns the run's start."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "eip-demo"))
        run = course.modules[0].runs[0]
        learner = create_user("bao.dang@example.org", "Đặng Quốc Bảo", password="reports-learner-pw",
                              organisation="+84 912 345 678", organisation_type="enterprise",
                              province="hai-phong", gender="male")  # fmt: skip
        hold(learner, run)
        AttendanceFactory(run_id=run.id, user_id=learner.id, status="present", minutes=110)
        db.session.commit()
        return run.starts_at


def run_the_job(app, job_id: int) -> None:
    with app.app_context():
        try:
            assert tracking.run_job(job_id) == "done"
        finally:
            db.session.remove()


def test_organiser_opens_the_dashboard_and_downloads_attendance(
    page: Page, live_server, live_app, screenshots
):
    learner_marked_present(live_app)
    page.goto(live_server + "/account/login")
    page.get_by_label("Email").fill("organiser@demo.example.org")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    page.goto(live_server + "/courses/eip-demo")
    page.get_by_role("link", name="Báo cáo tổng quan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Báo cáo tổng quan")
    charts = page.get_by_role("img")
    expect(page.locator("svg.chart[role=img]")).to_have_count(8)  # the learning gain's too
    expect(page.locator("#learning-gain")).to_contain_text("Mức tiến bộ về kiến thức")
    expect(charts.filter(has_text="Từ đăng ký đến chứng nhận")).to_have_count(1)
    funnel = page.locator("#funnel table")
    expect(funnel.get_by_role("row").nth(2)).to_contain_text("Tham dự ít nhất một học phần")
    expect(page.locator("#genders table")).to_contain_text("Nam")
    page.screenshot(path=str(screenshots / "reports-dashboard-vi.png"), full_page=True)

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator("#funnel table")).to_contain_text("Attended at least one module")
    page.screenshot(path=str(screenshots / "reports-dashboard-en.png"), full_page=True)
    page.get_by_role("link", name="Tiếng Việt").click()  # the organiser reads Vietnamese

    page.get_by_role("link", name="Xuất dữ liệu").first.click()
    page.locator("form[action$='/exports/attendance.xlsx'] button:not([formaction])").click()
    # the job's page: waiting for a worker, refreshing itself
    expect(page.get_by_role("heading", level=2)).to_have_text("Đang chờ bắt đầu")
    page.screenshot(path=str(screenshots / "reports-job-waiting-vi.png"), full_page=True)
    job_id = int(page.url.rsplit("/", 1)[1])
    run_the_job(live_app, job_id)  # what the worker beside the web server does
    expect(page.get_by_role("heading", level=2)).to_have_text(
        "Sẵn sàng", timeout=10_000
    )  # refreshed by itself
    page.screenshot(path=str(screenshots / "reports-job-ready-vi.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải về").click()
    download = info.value
    assert download.suggested_filename.startswith("eip-demo-attendance-")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:6] == ["Họ và tên", "Email", "Đơn vị công tác", "Học phần", "Lớp", "Điểm danh"]
    mine = [row for row in rows if row[0] == "Đặng Quốc Bảo"]
    assert len(mine) == 6  # one row per module of the demo edition
    first = next(row for row in mine if row[3] == "Học phần 1")
    assert first[2] == "'+84 912 345 678" and first[5] == "Có mặt" and first[6] == 110
    assert isinstance(first[9], datetime)
    assert all(row[5] == "Chưa điểm danh" for row in mine if row[3] != "Học phần 1")
