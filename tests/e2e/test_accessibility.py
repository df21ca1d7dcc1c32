"""Accessibility in a real browser: axe-core finds no serious or critical violation on
the main pages in both languages, no page scrolls sideways at 360 px, the Content
Security Policy is never violated, and a learner signs in and registers with the
keyboard alone, always seeing where the focus is."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from lms.accounts.services import create_user, find_user_by_email
from lms.catalogue.models import Course, Module, Run
from lms.consent.models import How, Purpose
from lms.consent.services import give
from lms.db import utcnow
from lms.demo import DEMO_PASSWORD, DEMO_TRAINER
from lms.enrollment import services as enrollment
from lms.extensions import db
from lms.jobs import tracking
from lms.jobs.models import BackgroundJob, JobStatus
from lms.mail.models import OutboxMessage
from lms.quizzes.models import Quiz, QuizPurpose
from tests.conftest import missing_part

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a11y-learner-password"


def axe_script() -> Path:
    version = re.search(r'^VERSION = "(.+)"$', (ROOT / "scripts" / "fetch_axe.py").read_text(), re.M)[1]
    path = Path(os.environ.get("LMS_AXE_JS") or ROOT / ".venv" / "axe-core" / version / "axe.min.js")
    if not path.exists():
        missing_part(f"accessibility: no axe-core at {path} (`make test` fetches it: scripts/fetch_axe.py)")
    return path


# Both are added as the browser's own scripts (not the page's), so the page's CSP
# neither blocks them nor has to allow anything for them.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""

SERIOUS_VIOLATIONS = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations
    .filter((violation) => ["serious", "critical"].includes(violation.impact))
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help}\\n      ` +
      violation.nodes.slice(0, 4).map((node) => node.target.join(" ")).join("\\n      "));
}"""

FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const name = element.getAttribute("aria-label") || (element.labels && element.labels[0]
    ? element.labels[0].innerText : "") || element.innerText || element.value || "";
  const box = element.getBoundingClientRect();
  return {
    description: `${element.tagName.toLowerCase()}[${element.type || ""}] ${name.trim().replace(/\\s+/g, " ")}`,
    name: element.name || "",
    indicated: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none",
    visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0,
  };
}"""


TOO_WIDE = """() => {
  const scrolls = (element) => ["auto", "scroll", "hidden"].includes(getComputedStyle(element).overflowX);
  const inScroller = (element) => {
    for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      if (scrolls(parent)) return true;
    }
    return false;
  };
  return [...document.querySelectorAll("body *")]
  .filter((element) => element.getBoundingClientRect().right > 361)
  // Inside a scrolling box is fine, unless positioned out of its reach.
  .filter((element) => !inScroller(element) || ["absolute", "fixed"].includes(getComputedStyle(element).position))
  .slice(0, 5)
  .map((element) => `${element.tagName.toLowerCase()}.${[...element.classList].join(".")}`
    + ` (${Math.round(element.getBoundingClientRect().right)} px)`);
}"""


@dataclass
class World:
    registered: str  # email of a learner holding a seat in every module of the demo
    unregistered: str
    keyboard: str
    module_path: str
    quiz_path: str
    attendance_path: str
    run_id: int
    job_paths: list[str]  # a running, a done and a failed job of the organiser


@pytest.fixture(scope="module")
def world(live_server) -> World:
    from tests.e2e.conftest import _LIVE_APPS

    app = _LIVE_APPS[-1]
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "eip-demo"))
        learner = create_user("vu.thi.binh@example.org", "Vũ Thị Bình", password=PASSWORD, locale="vi")
        picks = {module.id: enrollment.Pick(module.runs[0].id) for module in course.modules}
        enrollment.register(learner, course, picks, accepted_privacy=True)
        module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.position == 5))
        quiz = db.session.scalar(
            select(Quiz).where(Quiz.module_id == module.id, Quiz.purpose == QuizPurpose.MODULE)
        )
        quiz.opens_at = utcnow() - timedelta(hours=1)  # opened early by the trainer
        for email, name in (("ngo.van.an@example.org", "Ngô Văn An"), ("ha.phim@example.org", "Hà Phím")):
            user = create_user(email, name, password=PASSWORD, locale="vi")
            give(user, [Purpose.COURSE], How.SIGNUP)  # they accepted the notice in force
        trainer = find_user_by_email(DEMO_TRAINER)
        run = db.session.scalar(
            select(Run).join(Run.module).where(Module.course_id == course.id, Run.trainers.contains(trainer))
        )
        db.session.commit()
        job_paths = [f"/organise/jobs/{job_id}" for job_id in organiser_jobs(course)]
        return World(
            registered=learner.email,
            unregistered="ngo.van.an@example.org",
            keyboard="ha.phim@example.org",
            module_path=f"/courses/eip-demo/modules/{module.key}",
            quiz_path=f"/courses/eip-demo/modules/{module.key}/quiz",
            attendance_path=f"/teach/runs/{run.id}/attendance",
            run_id=run.id,
            job_paths=job_paths,
        )


def organiser_jobs(course) -> list[int]:
    """A ZIP halfway (its worker busy), an export ready to download, a failed ZIP."""
    organiser = find_user_by_email("organiser@demo.example.org")
    now = utcnow()
    running = BackgroundJob(kind="certificates_zip", params={}, locale="vi", dedup_key="a11y-running",
                            course_id=course.id, requested_by_id=organiser.id, status=JobStatus.RUNNING,
                            progress_done=412, progress_total=1675, attempts=1, started_at=now,
                            claim_token="a11y", claimed_until=now + timedelta(days=1))  # fmt: skip
    failed = BackgroundJob(kind="certificates_zip", params={"a11y": 1}, locale="vi", dedup_key="a11y-failed",
                           course_id=course.id, requested_by_id=organiser.id, status=JobStatus.FAILED,
                           attempts=3, error=tracking.UNEXPECTED_FAILURE, finished_at=now)  # fmt: skip
    db.session.add_all([running, failed])
    export, _ = tracking.start_job("report_export", organiser, course_id=course.id,
                                   params={"name": "attendance", "format": "xlsx"}, locale="vi")  # fmt: skip
    db.session.commit()
    assert tracking.run_job(export.id) == "done"
    return [running.id, export.id, failed.id]


def without_refresh(route) -> None:
    """The job page as served, minus its meta refresh, so the checks are not cut short."""
    response = route.fetch()
    body = re.sub(r'<meta http-equiv="refresh"[^>]*>', "", response.text())
    route.fulfill(response=response, body=body)


@pytest.fixture
def new_page(browser: Browser, live_server):
    """A page in a browser context of its own, signed in as ``email`` if given."""
    contexts = []

    def open_page(email: str | None = None, password: str = PASSWORD) -> Page:
        context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", base_url=live_server)
        contexts.append(context)
        return prepared_page(context, email, password)

    yield open_page
    for context in contexts:
        context.close()


def prepared_page(context, email: str | None, password: str) -> Page:
    context.add_init_script(path=str(axe_script()))
    context.add_init_script(script=CSP_LISTENER)
    page = context.new_page()
    if email:
        page.goto("/account/login?lang=vi")
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        page.locator("form .button[type=submit]").click()
        expect(page).not_to_have_url(re.compile(r"/account/login"))
    return page


def check_page(page: Page, path: str, language: str, screenshots: Path | None = None) -> list[str]:
    """Problems on one page: axe findings, CSP violations, sideways scrolling at 360 px."""
    problems = []
    page.set_viewport_size({"width": 1280, "height": 900})
    separator = "&" if "?" in path else "?"
    page.goto(f"{path}{separator}lang={language}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    problems += page.evaluate(SERIOUS_VIOLATIONS)
    page.set_viewport_size({"width": 360, "height": 740})
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > 360:
        wide = page.evaluate(TOO_WIDE)
        problems.append(f"scrolls sideways at 360 px (content is {width} px wide): {', '.join(wide)}")
    problems += [f"CSP: {violation}" for violation in page.evaluate("window.__cspViolations")]
    if screenshots:
        page.screenshot(
            path=screenshots / f"a11y-{language}-{re.sub(r'[^a-z0-9]+', '-', path).strip('-') or 'home'}.png",
            full_page=True,
        )
    return [f"{path} ({language}): {problem}" for problem in problems]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_main_pages_have_no_serious_accessibility_problems(
    new_page, live_server, world, language, screenshots
):
    problems: list[str] = []
    guest = new_page()
    for path in [
        "/",
        "/courses/eip-demo",
        world.module_path,
        "/account/login",
        "/account/signup",
        "/no-such-page",
        "/verify",
        "/verify/7KQ3-M9XD-2B4F-W8RT-ZP6H-C1NV-5YJE",
    ]:
        problems += check_page(guest, path, language, screenshots)

    newcomer = new_page(world.unregistered)
    problems += check_page(newcomer, "/courses/eip-demo/register", language, screenshots)

    learner = new_page(world.registered)
    for path in [
        "/my/schedule",
        "/account/profile",
        "/my/progress/eip-demo",
        "/my/evaluations",
        "/account/data",
        "/account/delete",
        world.quiz_path,
        f"/checkin/{world.run_id}",
    ]:
        problems += check_page(learner, path, language, screenshots)
    # The quiz itself: the questions of an attempt (started once, then reopened).
    learner.goto(world.quiz_path + f"?lang={language}")
    learner.locator("form[action*='/attempts'] button[type=submit]").first.click()
    expect(learner.locator("fieldset.question").first).to_be_visible()
    problems += check_page(learner, learner.url.replace(live_server, "").split("?")[0], language, screenshots)

    trainer = new_page(DEMO_TRAINER, DEMO_PASSWORD)
    problems += check_page(trainer, world.attendance_path, language, screenshots)
    problems += check_page(trainer, world.attendance_path + "/import", language, screenshots)
    problems += check_page(trainer, "/teach", language, screenshots)
    problems += check_page(trainer, f"/teach/runs/{world.run_id}/recordings", language, screenshots)

    organiser = new_page("organiser@demo.example.org", DEMO_PASSWORD)
    for path in [
        "/organise/courses/eip-demo/runs",
        "/organise/courses/eip-demo/dashboard",
        "/organise/courses/eip-demo/results",
        "/organise/courses/eip-demo/results/summary",
        "/organise/courses/eip-demo/evaluations",
        "/organise/courses/eip-demo/exports",
        "/organise/courses/eip-demo/certificates",
        "/organise/audit",
        "/organise/jobs",
        "/organise/privacy/requests",
    ]:
        problems += check_page(organiser, path, language, screenshots)
    organiser.route(re.compile(r"/organise/jobs/\d+(\?.*)?$"), without_refresh)
    for path in world.job_paths:
        problems += check_page(organiser, path, language, screenshots)

    organiser = new_page("organiser@demo.example.org", DEMO_PASSWORD)
    for path in [
        "/organise/courses",
        "/organise/courses/eip-demo",
        "/organise/courses/eip-demo/settings",
        "/organise/courses/eip-demo/copy",
        f"/organise/runs/{world.run_id}",
        f"/organise/runs/{world.run_id}/cancel",
    ]:
        problems += check_page(organiser, path, language, screenshots)

    assert not problems, "\n".join(problems)


MAIL_ERRORS = [
    "",
    "ConnectionRefusedError: [Errno 111] Connection refused",
    "SMTPRecipientsRefused: {'person2@a11y.example.org': (550, b'5.1.1 mailbox unavailable')}",
]


def add_failed_email(app) -> None:
    """Outgoing mail in every state: the demo's queued email, one sent, two failed."""
    with app.app_context():
        if db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.recipient.like("%@a11y.example.org"))
        ):
            return
        course = db.session.scalar(select(Course).where(Course.slug == "eip-demo"))
        now = utcnow()
        for index, error in enumerate(MAIL_ERRORS):
            row = OutboxMessage(
                recipient=f"person{index}@a11y.example.org", locale="vi", kind="reminder", payload={},
                course_id=course.id, message_id=f"<a11y-{index}@example.org>", created_at=now,
                next_attempt_at=now, subject="Nhắc lịch: Học phần 1", last_error=error,
            )  # fmt: skip
            if error:
                row.status, row.attempts, row.failed_at = "failed", 8, now
            else:
                row.status, row.attempts, row.sent_at = "sent", 1, now
            db.session.add(row)
        db.session.commit()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_outgoing_mail_page_has_no_serious_accessibility_problems(
    new_page, live_app, language, screenshots
):
    add_failed_email(live_app)
    organiser = new_page("organiser@demo.example.org", DEMO_PASSWORD)
    problems = []
    for path in ["/organise/mail", "/organise/mail?status=failed&kind=reminder", "/organise/courses"]:
        problems += check_page(organiser, path, language, screenshots)
    assert not problems, "\n".join(problems)


def tab_to(page: Page, wanted: str, limit: int = 80) -> dict:
    """Press Tab until the focused element's description matches ``wanted``; every
    element passed on the way must show where the focus is."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        seen.append(focused["description"])
        assert focused["indicated"], f"no visible focus indicator on {focused['description']}"
        assert focused["visible"], f"focus went to something not on screen: {focused['description']}"
        if re.search(wanted, focused["description"]):
            return focused
    raise AssertionError(f"never reached {wanted!r} with Tab; went through: {seen}")


def follow_with_enter(page: Page) -> None:
    """Enter on the focused link or button, and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_learner_signs_in_and_registers_with_the_keyboard_alone(new_page, world, screenshots):
    page = new_page()
    page.goto("/?lang=vi")
    page.bring_to_front()

    skip = tab_to(page, r"^a\[\] Chuyển đến nội dung chính")  # the first stop is the skip link
    assert skip["visible"]
    tab_to(page, r"^a\[\] Đăng nhập$")
    follow_with_enter(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng nhập")
    tab_to(page, r"^input\[email\]")
    page.keyboard.type(world.keyboard)
    tab_to(page, r"^input\[password\]")
    page.keyboard.type(PASSWORD)
    tab_to(page, r"^button\[submit\] Đăng nhập")
    follow_with_enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hồ sơ của tôi")

    tab_to(page, r"^a\[\] Khóa học$")
    follow_with_enter(page)
    tab_to(page, r"\(bản demo\)")
    follow_with_enter(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("(bản demo)")
    tab_to(page, r"^a\[\] Đăng ký và chọn buổi học")
    follow_with_enter(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Đăng ký")

    tab_to(page, r"^input\[checkbox\] Thông tin của tôi")
    page.keyboard.press("Space")
    groups = page.locator("fieldset.module-choice")
    for index in range(groups.count()):
        name = groups.nth(index).locator("input[type=radio]").first.get_attribute("name")
        focused = tab_to(page, r"^input\[radio\]")
        assert focused["name"] == name, "Tab reaches each module's choice in order"
        page.keyboard.press("Space")  # the first run
        if index == 0:
            page.keyboard.press("ArrowDown")  # module 1: the other run, chosen with an arrow key
    tab_to(page, r"^input\[checkbox\] Tham gia khóa học")  # the course consent, required
    page.keyboard.press("Space")
    page.screenshot(path=screenshots / "keyboard-register-vi.png", full_page=True)
    tab_to(page, r"^button\[submit\] Đăng ký$")
    follow_with_enter(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Lịch của tôi")
    expect(page.locator(".schedule-item.is-confirmed")).to_have_count(6)
    expect(page.locator(".schedule-item").first).to_contain_text("Lớp B")


def test_the_checks_catch_what_they_look_for(new_page):
    """An image without a text alternative, a field without a label and an inline
    script, slipped into a real page, are all reported."""
    page = new_page()
    page.goto("/?lang=en")
    page.evaluate(
        """() => {
          document.querySelector("main").insertAdjacentHTML("beforeend",
            '<img src="/static/favicon.svg"><input type="text"><div style="width: 900px">wide</div>');
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
        }"""
    )
    findings = "\n".join(page.evaluate(SERIOUS_VIOLATIONS))
    assert "image-alt" in findings
    assert "label" in findings
    assert page.evaluate("window.injected") is None, "the CSP stopped the inline script"
    assert any("script-src" in violation for violation in page.evaluate("window.__cspViolations"))
