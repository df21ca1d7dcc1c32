"""The donor dashboard against the known edition of conftest.py: exact figures in the
page and in the XLSX, charts as accessible inline SVG, queries flat as data grows."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from lms.jobs.models import BackgroundJob
from tests.helpers import count_queries, page_text
from tests.jobs.background import job_download, run_jobs, start_job
from tests.reports.conftest import build_edition

SLUG = "eip-report"


def section(text: str, key: str) -> str:
    """The HTML of one figure's section, whitespace squeezed."""
    match = re.search(rf'<section[^>]*id="{key}".*?</section>', text, re.S)
    assert match, f"no section {key}"
    return re.sub(r"\s+", " ", match.group(0))


def cells(html: str) -> list[list[str]]:
    """The data table's rows as text (header included)."""
    table = re.search(r"<table.*?</table>", html, re.S).group(0)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def test_dashboard_shows_the_known_figures(organiser_client, edition):
    text = page_text(organiser_client.get(f"/organise/courses/{SLUG}/dashboard?lang=en"))
    assert "3 learners registered." in text
    assert cells(section(text, "funnel")) == [
        ["Stage", "People", "Share of registered (%)"],
        ["Registered", "3", "100"],
        ["Attended at least one module", "2", "66.7"],
        ["Passed every quiz", "1", "33.3"],
        ["Certified", "1", "33.3"],
    ]
    seats = cells(section(text, "seats"))
    assert seats[0] == ["Module", "Run", "Seats taken", "Capacity", "Waiting", "Full (%)"]
    assert seats[1:] == [
        ["Module 1", "Run A (2030-10-08)", "2", "20", "0", "10"],
        ["Module 1", "Run B (2030-10-10)", "1", "20", "0", "5"],
        ["Module 2", "Run A (2030-10-22)", "1", "1", "1", "100"],
        ["Module 2", "Run B (2030-10-24)", "1", "20", "0", "5"],
    ]
    assert cells(section(text, "attendance"))[1:] == [
        ["Module 1", "Run A (2030-10-08)", "1", "1", "0", "0", "0"],
        ["Module 1", "Run B (2030-10-10)", "0", "0", "0", "0", "1"],
        ["Module 2", "Run A (2030-10-22)", "1", "0", "0", "0", "0"],
        ["Module 2", "Run B (2030-10-24)", "0", "0", "1", "0", "0"],
    ]
    assert cells(section(text, "quizzes"))[1:] == [
        ["Module 1", "2", "2", "100"],
        ["Module 2", "2", "1", "50"],
    ]
    assert cells(section(text, "organisation-types"))[1:] == [
        ["Industrial park management board", "1", "33.3"],
        ["Enterprise in an industrial park", "2", "66.7"],
    ]
    assert cells(section(text, "provinces"))[1:] == [["Ha Noi", "1", "33.3"], ["Hai Phong", "1", "33.3"],
                                                     ["Da Nang", "1", "33.3"]]  # fmt: skip
    assert cells(section(text, "genders"))[1:] == [["Female", "1", "33.3"], ["Male", "2", "66.7"]]


def test_charts_are_inline_svg_with_a_title_and_a_table_after_each(organiser_client, edition):
    text = page_text(organiser_client.get(f"/organise/courses/{SLUG}/dashboard?lang=en"))
    assert "<script" not in text
    for key in ("seats", "funnel", "attendance", "quizzes", "organisation-types", "provinces", "genders"):
        html = section(text, key)
        assert '<svg class="chart" role="img"' in html
        assert re.search(r"<title id=\"chart-[\w-]+-title\">[^<]+</title>", html)
        assert html.index("</svg>") < html.index("<table")
    funnel = section(text, "funnel")
    assert '<title id="chart-funnel-title">From registration to certificate</title>' in funnel
    assert "2 (66.7 %)" in funnel  # the figure written next to the bar


def test_dashboard_speaks_vietnamese(organiser_client, edition):
    text = page_text(organiser_client.get(f"/organise/courses/{SLUG}/dashboard?lang=vi"))
    assert "3 học viên đã đăng ký." in text
    funnel = cells(section(text, "funnel"))
    assert funnel[0] == ["Bước", "Số người", "Tỷ lệ trên số đăng ký (%)"]
    assert funnel[2] == ["Tham dự ít nhất một học phần", "2", "66,7"]
    assert "Từ đăng ký đến chứng nhận</title>" in text
    assert cells(section(text, "genders"))[1:] == [["Nữ", "1", "33,3"], ["Nam", "2", "66,7"]]


def test_the_whole_report_downloads_as_xlsx_one_sheet_per_table(organiser_client, edition):
    response = job_download(
        organiser_client.application, organiser_client, f"/organise/courses/{SLUG}/dashboard.xlsx?lang=en"
    )
    assert response.filename.startswith(f"{SLUG}-dashboard-") and response.filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["Seats", "Funnel", "Attendance", "Quizzes", "Type of organisation",
                                   "Province", "Gender", "Evaluation – response rates", "Evaluation – ratings",
                                   "Evaluation – choices", "Evaluation – free texts",
                                   "Evaluation – breakdowns"]  # fmt: skip
    funnel = [list(row) for row in workbook["Funnel"].iter_rows(values_only=True)]
    assert funnel == [
        ["Stage", "People", "Share of registered (%)"],
        ["Registered", 3, 100],
        ["Attended at least one module", 2, 66.7],
        ["Passed every quiz", 1, 33.3],
        ["Certified", 1, 33.3],
    ]
    seats = [list(row) for row in workbook["Seats"].iter_rows(values_only=True)]
    assert seats[3] == ["Module 2", "Run A (2030-10-22)", 1, 1, 1, 100]
    genders = [list(row) for row in workbook["Gender"].iter_rows(values_only=True)]
    assert genders[1:] == [["Female", 1, 33.3], ["Male", 2, 66.7]]


def test_dashboard_makes_a_fixed_number_of_queries(app, db, client):
    """The page, and the worker making the XLSX report (its progress writes included)."""

    def queries(slug: str, extra: int, path: str) -> int:
        edition = build_edition(db, slug=slug, extra_learners=extra)
        client.sign_in(edition.organiser.email)
        if path.endswith(".xlsx"):
            job_id = start_job(client, path.format(slug=slug))
            with count_queries(app) as counter:
                assert run_jobs(app) == 1
            assert db.session.get(BackgroundJob, job_id).status == "done"
        else:
            with count_queries(app) as counter:
                assert client.get(path.format(slug=slug)).status_code == 200
        client.post("/account/logout", data={"csrf_token": client.csrf_token()})
        return counter.count

    for index, path in enumerate(
        ("/organise/courses/{slug}/dashboard", "/organise/courses/{slug}/dashboard.xlsx")
    ):
        assert queries(f"small{index}", 2, path) == queries(f"large{index}", 20, path)
