"""Every export downloaded as an organiser would, and read back as a spreadsheet program would."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.db import utcnow
from lms.extensions import db
from lms.jobs.models import BackgroundJob
from lms.spreadsheets import XLSX_MIMETYPE
from tests.helpers import count_queries, page_text
from tests.jobs.background import job_download, run_jobs, start_job
from tests.reports.conftest import CODE_SHOWN, HYPERLINK, PHONE, build_edition

SLUG = "eip-report"


def read_csv(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:")
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def download(client, name: str, extension: str, lang: str = "en", data: dict | None = None):
    """Press the export's button, let a worker prepare the file, download it."""
    path = f"/organise/courses/{SLUG}/exports/{name}.{extension}?lang={lang}"
    response = job_download(client.application, client, path, data)
    today = utcnow().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-%d")
    assert response.filename == f"{SLUG}-{name}-{today}.{extension}"
    assert response.mimetype == ("text/csv" if extension == "csv" else XLSX_MIMETYPE)
    return response


def by_name(rows: list[list]) -> dict[str, list]:
    return {row[0]: row for row in rows[1:]}


def test_export_page_lists_every_export_with_both_formats_and_the_calendar(organiser_client):
    text = page_text(organiser_client.get(f"/organise/courses/{SLUG}/exports?lang=en"))
    for name in ("registrations", "attendance", "attendance-wide", "results"):
        # buttons that start the job (POST), not links
        assert f'<form method="post" action="/organise/courses/{SLUG}/exports/{name}.xlsx"' in text
        assert f'formaction="/organise/courses/{SLUG}/exports/{name}.csv"' in text
    assert f"/courses/{SLUG}/calendar.ics" in text
    assert "Printable rosters" in text and "Quiz results" in text


def test_registrations_csv_has_profiles_choices_states_and_waiting_positions(organiser_client, edition):
    rows = read_csv(download(organiser_client, "registrations", "csv"))
    header = rows[0]
    assert header[:4] == ["Full name", "Email", "Organisation", "Type of organisation"]
    assert "Module 2: waiting position" in header
    people = by_name(rows)
    assert set(people) == {"Nguyễn Thị Hương", "Đặng Quốc Bảo", "Trần Văn An", "Lê Thu Cúc"}
    # Sorted as a Vietnamese reader expects: Đặng with the Ds, before Lê, Nguyễn, Trần.
    assert [row[0] for row in rows[1:]] == ["Đặng Quốc Bảo", "Lê Thu Cúc", "Nguyễn Thị Hương", "Trần Văn An"]
    column = {name: index for index, name in enumerate(header)}
    huong, an, cuc, bao = (
        people["Nguyễn Thị Hương"],
        people["Trần Văn An"],
        people["Lê Thu Cúc"],
        people["Đặng Quốc Bảo"],
    )
    assert huong[column["Type of organisation"]] == "Industrial park management board"
    assert huong[column["Province"]] == "Ha Noi" and huong[column["Gender"]] == "Female"
    assert huong[column["Position"]] == "Chuyên viên"
    assert huong[column["Module 1: run"]].startswith("Run A (2030-10-08)")
    assert huong[column["Module 1: state"]] == "Confirmed"
    assert an[column["Module 2: state"]] == "Waiting" and an[column["Module 2: waiting position"]] == "1"
    assert an[column["Module 2: run"]] == "Run A (2030-10-22)"
    assert an[column["Organisation"]] == "'" + PHONE
    assert bao[column["Organisation"]] == "'" + HYPERLINK
    assert bao[column["Language"]] == "English"
    assert cuc[column["Registration"]] == "Cancelled" and cuc[column["Module 1: state"]] == "Cancelled"


def test_registrations_headers_follow_the_organisers_language(organiser_client, edition):
    header = read_csv(download(organiser_client, "registrations", "csv", lang="vi"))[0]
    assert header[:3] == ["Họ và tên", "Email", "Đơn vị công tác"]
    assert "Tỉnh, thành phố" in header
    rows = read_xlsx(download(organiser_client, "registrations", "xlsx", lang="vi").get_data())
    assert rows[0] == header
    assert "Nguyễn Thị Hương" in by_name(rows)


def test_attendance_xlsx_has_a_row_per_learner_and_module_with_real_dates(organiser_client, edition):
    rows = read_xlsx(download(organiser_client, "attendance", "xlsx").get_data())
    assert rows[0] == ["Full name", "Email", "Organisation", "Module", "Run", "Attendance", "Minutes", "Source",
                       "Marked by", "Marked at"]  # fmt: skip
    assert len(rows) == 1 + 3 * 2  # active learners × modules; the cancelled registration is left out
    lines = {(row[0], row[3]): row for row in rows[1:]}
    huong = lines[("Nguyễn Thị Hương", "Module 1")]
    assert huong[4].startswith("Run A") and huong[5] == "Present" and huong[6] == 115 and huong[7] == "Zoom"
    assert huong[8] == "Nguyễn Thị Lan"
    assert huong[9] == datetime(2030, 10, 8, 12, 30)  # a real date, in the course's zone
    bao = lines[("Đặng Quốc Bảo", "Module 2")]
    assert bao[2] == "'" + HYPERLINK and bao[5] == "Absent" and bao[7] == "Marked by hand"
    assert bao[8] == "Đỗ Minh Châu"
    an = lines[("Trần Văn An", "Module 1")]
    assert an[4].startswith("Run B") and an[5] == "Not marked" and an[9] is None
    assert lines[("Trần Văn An", "Module 2")][4] == "Run A (2030-10-22)"  # the run they wait for
    assert lines[("Trần Văn An", "Module 2")][2] == "'" + PHONE


def test_attendance_csv_says_the_same(organiser_client, edition):
    rows = read_csv(download(organiser_client, "attendance", "csv", lang="vi"))
    assert rows[0][:4] == ["Họ và tên", "Email", "Đơn vị công tác", "Học phần"]
    lines = {(row[0], row[3]): row for row in rows[1:]}
    assert lines[("Nguyễn Thị Hương", "Học phần 1")][5] == "Có mặt"
    assert lines[("Nguyễn Thị Hương", "Học phần 1")][9] == "2030-10-08 12:30"


def test_attendance_wide_has_completion_and_the_certificate_code(organiser_client, edition):
    rows = read_xlsx(download(organiser_client, "attendance-wide", "xlsx").get_data())
    assert rows[0] == ["Full name", "Email", "Organisation", "Module 1", "Module 2", "Modules done", "Complete",
                       "Certificate code"]  # fmt: skip
    people = by_name(rows)
    assert people["Nguyễn Thị Hương"][3:] == ["Present", "Present", 2, "yes", CODE_SHOWN]
    # Late counts as attended; module 2 was missed and its quiz failed.
    assert people["Đặng Quốc Bảo"][3:7] == ["Late", "Absent", 1, "no"]
    assert people["Đặng Quốc Bảo"][7] is None
    assert people["Trần Văn An"][3:7] == ["Not marked", "Not marked", 0, "no"]
    assert "Lê Thu Cúc" not in people


def test_quiz_results_per_module(organiser_client, edition):
    rows = read_xlsx(download(organiser_client, "results", "xlsx").get_data())
    assert rows[0] == ["Full name", "Email", "Organisation", "Module", "Attempts", "Best score (%)", "Passed",
                       "Last submitted"]  # fmt: skip
    lines = {(row[0], row[3]): row for row in rows[1:]}
    assert lines[("Đặng Quốc Bảo", "Module 2")][4:] == [2, 55, "no", datetime(2030, 10, 9, 10, 30)]
    assert lines[("Nguyễn Thị Hương", "Module 1")][4:7] == [1, 90, "yes"]
    assert lines[("Trần Văn An", "Module 1")][4:7] == [0, None, "not taken"]
    path = f"/organise/courses/{SLUG}/exports/results.csv?lang=en"
    one_module = job_download(organiser_client.application, organiser_client, path, {"module": "m2"})
    assert one_module.filename.startswith(f"{SLUG}-results-m2-")
    assert {row[3] for row in read_csv(one_module)[1:]} == {"Module 2"}
    assert organiser_client.submit(path, {"module": "nope"}, follow_redirects=False).status_code == 404


def test_unknown_exports_and_formats_are_not_found(organiser_client, edition):
    for path in (
        f"/organise/courses/{SLUG}/exports/payroll.csv",
        f"/organise/courses/{SLUG}/exports/attendance.pdf",
        "/organise/courses/nope/exports/attendance.csv",
    ):
        assert organiser_client.submit(path, {}, follow_redirects=False).status_code == 404, path
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 0


def test_an_export_is_no_longer_made_by_a_get(organiser_client, edition):
    """Starting work is a POST with CSRF; a GET changes nothing."""
    path = f"/organise/courses/{SLUG}/exports/attendance.csv"
    assert organiser_client.get(path).status_code == 405
    assert organiser_client.post(path).status_code == 400  # no CSRF token: refused
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 0


def test_roster_prints_the_seat_holders_of_a_run_with_a_signature_column(organiser_client, edition):
    run = edition.course.modules[0].runs[0]
    response = organiser_client.get(f"/organise/courses/{SLUG}/runs/{run.id}/roster?lang=en")
    text = page_text(response)
    assert "Đặng Quốc Bảo" in text and "Nguyễn Thị Hương" in text
    assert "Trần Văn An" not in text and "Lê Thu Cúc" not in text  # other run; cancelled
    assert "Signature" in text and "@media print" not in text  # print rules live in the stylesheet
    assert text.index("Đặng Quốc Bảo") < text.index("Nguyễn Thị Hương")
    roster = job_download(
        organiser_client.application,
        organiser_client,
        f"/organise/courses/{SLUG}/runs/{run.id}/roster.csv?lang=en",
    )
    assert roster.filename.startswith(f"{SLUG}-roster-m1-a-") and roster.filename.endswith(".csv")
    rows = read_csv(roster)
    assert rows == [
        ["#", "Full name", "Organisation", "Email", "Signature"],
        ["1", "Đặng Quốc Bảo", "'" + HYPERLINK, f"bao@{SLUG}.org", ""],
        ["2", "Nguyễn Thị Hương", "Ban quản lý các khu công nghiệp Đà Nẵng", f"huong@{SLUG}.org", ""],
    ]


def test_the_cli_writes_the_same_file_as_the_web(app, organiser_client, edition, tmp_path):
    runner = app.test_cli_runner()
    for name in ("registrations", "attendance", "attendance-wide", "results"):
        target = tmp_path / f"{name}.xlsx"
        result = runner.invoke(
            args=["lms", "export", name, SLUG, "--format", "xlsx", "-o", str(target), "--lang", "en"]
        )
        assert result.exit_code == 0, result.output
        assert read_xlsx(target.read_bytes()) == read_xlsx(
            download(organiser_client, name, "xlsx").get_data()
        )
    target = tmp_path / "attendance.csv"
    result = runner.invoke(
        args=["lms", "export", "attendance", SLUG, "--format", "csv", "-o", str(target), "--lang", "vi"]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == download(organiser_client, "attendance", "csv", lang="vi").get_data()
    failed = runner.invoke(args=["lms", "export", "attendance", "nope", "-o", str(tmp_path / "x.csv")])
    assert failed.exit_code != 0 and "nope" in failed.output


@pytest.mark.parametrize(
    "name", ["registrations", "attendance", "attendance-wide", "results", "learning-gain"]
)
def test_exports_make_a_fixed_number_of_queries(app, db, client, name):
    """Counted while the worker makes the file (the progress it writes included)."""

    def queries(slug: str, extra: int) -> int:
        edition = build_edition(db, slug=slug, extra_learners=extra)
        client.sign_in(edition.organiser.email)
        job_id = start_job(client, f"/organise/courses/{slug}/exports/{name}.xlsx")
        with count_queries(app) as counter:
            assert run_jobs(app) == 1
        assert db.session.get(BackgroundJob, job_id).status == "done"
        client.post("/account/logout", data={"csrf_token": client.csrf_token()})
        return counter.count

    assert queries("small", 2) == queries("large", 20)
