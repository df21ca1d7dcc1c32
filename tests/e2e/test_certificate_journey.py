"""An organiser imports a Zoom report, resolves a name nobody matched, and the learner
it belonged to completes the course, downloads the certificate and its QR code verifies."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
import segno
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from lms.accounts.services import create_user
from lms.catalogue.models import Course, Module
from lms.consent.models import How, Purpose
from lms.consent.services import give
from lms.extensions import db
from lms.quizzes.models import Quiz, QuizPurpose
from tests.certificates.pdf_reading import qr_matrix_of_pdf
from tests.e2e.browser import sign_in
from tests.factories import CompletionExceptionFactory, GradedAttemptFactory, hold

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[1] / "attendance" / "samples" / "zoom_participants.csv"
PASSWORD = "tuan-learner-password"


def learner_one_session_short_of_completion(app) -> int:
    """Lê Minh Tuấn, registered for the 2023 edition in module 1's run A (the Zoom
    sample's meeting), has passed module 1's quiz and has the other modules counted by
    exceptions: only the attendance of that meeting is missing. Mai is there too."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "eip-2023"))
        modules = db.session.scalars(
            select(Module).where(Module.course_id == course.id).order_by(Module.position)
        ).all()
        run = modules[0].runs[0]
        tuan = create_user("tuan.le@example.org", "Lê Minh Tuấn", password=PASSWORD, locale="vi")
        mai = create_user("mai.tran@example.org", "Trần Thị Mai", password=PASSWORD, locale="vi")
        for learner in (tuan, mai):
            give(learner, [Purpose.COURSE], How.SIGNUP)  # they accepted the notice in force
            hold(learner, run)
        quiz = db.session.scalar(
            select(Quiz).where(Quiz.module_id == modules[0].id, Quiz.purpose == QuizPurpose.MODULE)
        )
        GradedAttemptFactory(quiz=quiz, user_id=tuan.id, percent=90.0, submitted_by="learner")
        for module in modules[1:]:
            CompletionExceptionFactory(user_id=tuan.id, course_id=course.id, module_id=module.id,
                                       reason="Học bù", recorded_by_id=tuan.id)  # fmt: skip
        db.session.commit()
        return run.id


def test_import_resolve_download_and_verify(page: Page, live_server, live_app, screenshots, tmp_path):
    run_id = learner_one_session_short_of_completion(live_app)

    sign_in(page, live_server, "organiser@demo.example.org", lang="vi")
    page.goto(f"{live_server}/teach/runs/{run_id}/attendance?lang=vi")
    page.get_by_role("link", name="Nhập báo cáo người tham gia (Zoom, Teams, Meet)").click()
    page.get_by_label("Báo cáo người tham gia (CSV)").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Đọc báo cáo").click()
    expect(page.get_by_role("heading", name="Kiểm tra điểm danh được nhập")).to_be_visible()
    page.screenshot(path=str(screenshots / "import-review-vi.png"), full_page=True)

    # "Trần Minh" is Lê Minh Tuấn on his phone; every other name left open is ignored
    page.get_by_label("Trần Minh là ai?").select_option(label="Lê Minh Tuấn (tuan.le@example.org)")
    for select_box in page.locator("select[id^=decision-]").all():
        if select_box.input_value() == "":
            select_box.select_option("ignore")
    page.get_by_role("button", name="Lưu các điểm danh này").click()
    expect(page.get_by_text("Đã nhập báo cáo:")).to_be_visible()
    page.screenshot(path=str(screenshots / "import-applied-vi.png"), full_page=True)

    page.context.clear_cookies()
    sign_in(page, live_server, "tuan.le@example.org", PASSWORD, lang="vi")
    page.goto(live_server + "/my/schedule?lang=vi")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải giấy chứng nhận (PDF)").first.click()
    pdf_path = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf_path)
    data = pdf_path.read_bytes()
    text = unicodedata.normalize(
        "NFC", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    )
    assert "Lê Minh Tuấn" in text

    # the QR drawn on the page is exactly the QR of the verify link printed under it
    link = next(annotation["/A"]["/URI"] for annotation in PdfReader(io.BytesIO(data)).pages[0]["/Annots"])
    assert link.startswith(live_server + "/verify/")
    assert qr_matrix_of_pdf(data) == [
        [bool(cell) for cell in row] for row in segno.make_qr(link, error="m").matrix
    ]

    page.context.clear_cookies()
    page.goto(link + "?lang=vi")
    expect(page.get_by_text("Chứng nhận này là thật.")).to_be_visible()
    expect(page.get_by_text("Lê Minh Tuấn")).to_be_visible()
    page.screenshot(path=str(screenshots / "verify-valid-vi.png"), full_page=True)
