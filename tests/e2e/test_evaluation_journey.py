"""A learner answers a module's evaluation on a phone-sized screen; the organiser reads
the Results page and downloads the dashboard XLSX with the evaluation's sheets."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from lms.accounts.services import create_user
from lms.catalogue.models import Course
from lms.db import utcnow
from lms.demo import DEMO_PASSWORD
from lms.evaluations import answering
from lms.evaluations.forms_setup import forms_of
from lms.evaluations.models import EvaluationAnswer, EvaluationItem, EvaluationResponse
from lms.extensions import db
from lms.jobs import tracking
from tests.e2e.browser import sign_in
from tests.evaluations.conftest import full_answers
from tests.factories import AttendanceFactory, ConsentFactory, registration_for

pytestmark = pytest.mark.browser
PASSWORD = "evaluation-learner-pw"


def answers_to(app, form_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count(EvaluationResponse.id)).where(EvaluationResponse.form_id == form_id)
        )
        db.session.remove()
    return count


def mean_of_first_rating(app, form_id: int) -> float:
    """Computed here from the rows, apart from the report's code."""
    with app.app_context():
        item_id = db.session.scalar(
            select(EvaluationItem.id)
            .where(EvaluationItem.form_id == form_id, EvaluationItem.kind == "rating")
            .order_by(EvaluationItem.position)
            .limit(1)
        )
        mean = db.session.scalar(
            select(func.avg(EvaluationAnswer.rating)).where(EvaluationAnswer.item_id == item_id)
        )
        db.session.remove()
    return round(float(mean), 2)


def five_learners_of_module_one(app) -> int:
    """Five learners of eip-2023 marked present in module 1, four of whom answered
    already (beside the lived-in demo's learners); the form stays open a week more.
    Returns the form's id."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "eip-2023"))
        form = forms_of(course)[0]
        form.closes_at = utcnow() + timedelta(days=7)
        run = course.modules[0].runs[0]
        for index in range(5):
            learner = create_user(f"eval{index}@example.org", f"Học viên {index}", password=PASSWORD,
                                  organisation_type="enterprise", province="dong-nai", gender="female")  # fmt: skip
            ConsentFactory(user=learner)  # the demo's privacy notice, accepted at sign-up
            registration_for(learner, course)
            AttendanceFactory(run_id=run.id, user_id=learner.id, status="present", minutes=120)
            db.session.flush()
            if index:
                answering.submit_evaluation(learner, form, full_answers(form, rating=4, text=""), utcnow())
        db.session.commit()
        return form.id


def run_the_job(app, job_id: int) -> None:
    with app.app_context():
        try:
            assert tracking.run_job(job_id) == "done"
        finally:
            db.session.remove()


def test_a_learner_answers_on_a_phone_and_the_organiser_reads_the_results(
    page: Page, live_server, live_app, screenshots
):
    form_id = five_learners_of_module_one(live_app)
    answered_before = answers_to(live_app, form_id)  # the demo's learners and four of these
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "eval0@example.org", PASSWORD)
    page.goto(live_server + "/my/schedule")
    page.get_by_role("link", name="Đánh giá học phần 1").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Đánh giá học phần 1")
    for index, fieldset in enumerate(page.locator("fieldset.question").all()):
        if fieldset.locator("input[type=radio]").count():
            fieldset.get_by_text("5 ·" if index else "3 ·").click()
    page.get_by_label("Câu trả lời của bạn").fill("Cần thêm thời gian thảo luận nhóm.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.screenshot(path=str(screenshots / "evaluation-form-phone-vi.png"), full_page=True)
    page.get_by_role("button", name="Gửi câu trả lời").click()
    expect(page.locator(".flash-success")).to_contain_text("Câu trả lời đã được lưu ẩn danh")
    expect(page.get_by_text("Hiện không có phiếu đánh giá nào chờ anh/chị.")).to_be_visible()
    page.goto(live_server + f"/my/evaluations/{form_id}")
    expect(page.get_by_role("status")).to_contain_text("Anh/chị đã trả lời phiếu đánh giá này")
    page.get_by_role("button", name="Đăng xuất").click()

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, "organiser@demo.example.org", DEMO_PASSWORD)
    page.goto(live_server + "/organise/courses/eip-2023/dashboard")
    page.get_by_role("link", name="Kết quả").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kết quả")
    module = page.locator(f"#form-{form_id}")
    # the lived-in demo's learners answered too; this learner's answer is one more
    answered = answered_before + 1
    assert answers_to(live_app, form_id) == answered
    expect(module).to_contain_text(re.compile(rf"{answered} câu trả lời trên \d+ học viên có thể trả lời"))
    expect(module.locator("svg.chart[role=img]").first).to_be_visible()
    mean = mean_of_first_rating(live_app, form_id)
    expect(module).to_contain_text(f"Điểm trung bình: {mean:.2f}".rstrip("0").rstrip(".").replace(".", ","))
    expect(module.locator(".free-texts")).to_contain_text("Cần thêm thời gian thảo luận nhóm.")
    page.screenshot(path=str(screenshots / "evaluation-results-vi.png"), full_page=True)

    page.goto(live_server + "/organise/courses/eip-2023/dashboard")
    page.get_by_role("button", name="Chuẩn bị báo cáo (XLSX)").click()
    job_id = int(page.url.rsplit("/", 1)[1])
    run_the_job(live_app, job_id)
    expect(page.get_by_role("heading", level=2)).to_have_text("Sẵn sàng", timeout=10_000)
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải về").click()
    workbook = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert "Đánh giá – tỷ lệ phản hồi" in workbook.sheetnames
    ratings = workbook["Đánh giá – điểm"]
    rows = [list(row) for row in ratings.iter_rows(values_only=True)]
    first = next(row for row in rows if row[0] and str(row[0]).startswith("Học phần 1"))
    assert first[2] == answered and first[-1] == mean
