"""The catalogue, the course page and the module page, as a visitor sees them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lms.catalogue.models import CourseStatus
from lms.course_folders import load_course_folder
from tests.factories import CourseFactory, ModuleFactory, RunFactory, UserFactory, course_with_modules
from tests.helpers import count_queries, page_text

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "eip-2023"


@pytest.fixture
def eip_2023(db):
    load_course_folder(SHIPPED)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        # The 2023 sessions are over: they are marked as such, without seat counts.
        ("vi", ["Khóa đào tạo trực tuyến về khu công nghiệp sinh thái 2023", "Đã đóng đăng ký", "Học phần 6",
                "Thứ Ba, 10 tháng 10, 2023", "09:00", "14:00", "Đã diễn ra"]),
        ("en", ["Online training course on eco-industrial parks 2023", "Registration is closed", "Module 6",
                "Tuesday, October 10, 2023", "09:00", "14:00", "Took place"]),
    ],
)  # fmt: skip
def test_course_page_shows_six_modules_with_two_runs_each(client, eip_2023, lang, expected):
    response = client.get(f"/courses/eip-2023?lang={lang}")
    assert response.status_code == 200
    text = page_text(response)
    for snippet in expected:
        assert snippet in text, snippet
    assert len(re.findall(r'<li class="card module-card">', text)) == 6
    assert len(re.findall(r'<article class="run', text)) == 12
    assert "meet.example.org" not in text  # join links are for confirmed learners only


def test_catalogue_lists_published_courses_only(client, db):
    CourseFactory(slug="visible", title={"vi": "Khóa công khai", "en": "Public course"})
    CourseFactory(slug="hidden", title={"vi": "Bản nháp", "en": "Draft"}, status=CourseStatus.DRAFT)
    text = page_text(client.get("/?lang=en"))
    assert "Public course" in text
    assert "Draft" not in text
    assert client.get("/courses/hidden").status_code == 404


def test_open_registration_shows_the_deadline_and_time_left(client, db):
    now = datetime.now(UTC)
    CourseFactory(
        slug="open",
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=now + timedelta(days=10, hours=1),
    )
    text = page_text(client.get("/courses/open?lang=en"))
    assert "Registration is open." in text
    assert "10 days left" in text
    assert "Vietnam Time (GMT+07:00)" in text


def test_registration_not_yet_open(client, db):
    now = datetime.now(UTC)
    CourseFactory(
        slug="soon",
        registration_opens_at=now + timedelta(days=3),
        registration_closes_at=now + timedelta(days=30),
    )
    assert "Registration is not open yet." in page_text(client.get("/courses/soon?lang=en"))


def test_module_page_shows_outline_objectives_and_both_runs(client, eip_2023):
    text = page_text(client.get("/courses/eip-2023/modules/industrial-symbiosis?lang=vi"))
    assert "Cộng sinh công nghiệp" in text
    assert "Lớp A" in text and "Lớp B" in text
    assert "<h2>" in text  # the outline's Markdown sections are rendered
    assert client.get("/courses/eip-2023/modules/no-such-module").status_code == 404


def test_run_times_are_also_shown_in_the_viewers_zone(client, eip_2023, db):
    UserFactory(email="anna@example.org", timezone="Europe/Zurich", locale="en")
    client.sign_in("anna@example.org")
    text = page_text(client.get("/courses/eip-2023/modules/eip-concepts"))
    assert "Your time:" in text
    assert "04:00" in text  # 09:00 in Hanoi is 04:00 in Zurich (summer time) on 10 October


def test_a_missing_translation_falls_back_visibly(client, db):
    course = CourseFactory(slug="partial")
    ModuleFactory(course=course, key="only-vi", title={"vi": "Chỉ có tiếng Việt"}, outline={"vi": "Nội dung"})
    text = page_text(client.get("/courses/partial/modules/only-vi?lang=en"))
    assert '<span lang="vi">Chỉ có tiếng Việt</span>' in text
    assert "Only available in Vietnamese." in text


def test_outline_markdown_is_sanitised(client, db):
    course = CourseFactory(slug="unsafe")
    outline = "## Title\n\n<script>alert('x')</script>\n\n[click](javascript:alert(1)) **bold**"
    ModuleFactory(course=course, key="m", outline={"vi": outline, "en": outline})
    text = page_text(client.get("/courses/unsafe/modules/m"))
    assert "<script>alert" not in text
    assert 'href="javascript' not in text
    assert "<strong>bold</strong>" in text


def test_seats_left_full_and_cancelled_runs_are_labelled(client, db):
    module = ModuleFactory(course=CourseFactory(slug="busy"), key="m")
    RunFactory(module=module, key="a", capacity=5, taken=5)
    RunFactory(module=module, key="b", status="cancelled")
    RunFactory(module=module, key="c", capacity=5, taken=2)
    text = page_text(client.get("/courses/busy?lang=en"))
    assert "Full" in text and "Cancelled" in text
    assert "3 seats left" in text
    assert "Còn 3 chỗ" in page_text(client.get("/courses/busy?lang=vi"))


@pytest.mark.parametrize(
    ("path", "budget"),
    [
        # A guest's first request also reads the page's version (lms.caching): the
        # editions (1); the course page the edition and its seats (2); the module page
        # its texts, materials and quiz (3) besides.
        ("/", 6),
        ("/courses/{slug}", 7),
        # The module page also lists the materials (2 queries) and looks up the quiz (1).
        ("/courses/{slug}/modules/m1", 13),
    ],
)
def test_page_queries_stay_flat_as_the_course_grows(app, client, db, path, budget):
    def queries_for(modules: int, runs: int) -> int:
        course = course_with_modules(modules, runs)
        with count_queries(app) as counter:
            response = client.get(path.format(slug=course.slug))
        assert response.status_code == 200
        return counter.count

    small = queries_for(2, 2)
    large = queries_for(12, 4)
    assert large == small
    assert small <= budget
