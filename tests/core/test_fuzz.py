"""Generated input (hypothesis) thrown at every form and at the JSON endpoint.

Each form gets a few dozen requests whose fields are, one by one, the valid value, left
out, sent twice, or junk: any Unicode (lone surrogates too, sent as the bytes a broken
client would send), NULs, raw bytes that are not UTF-8, very long strings, numbers out
of every range, impossible dates. Every request carries a valid CSRF token, so the junk
reaches the forms and services. The rules: never a 5xx (the test app re-raises any
exception, so a crash fails with its traceback), and a form that is shown again with
its refusal saved nothing (row counts of every table before and after). A redirect
may be a refusal or a success: valid values are in the mix, so some requests succeed.

Runs are reproducible (derandomize) and bounded (max_examples per form); both backends
run, as PostgreSQL refuses some input SQLite takes (NUL characters).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import quote, quote_from_bytes

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lms.catalogue.models import Course
from lms.extensions import db
from lms.jobs.models import BackgroundJob, JobStatus
from lms.mail.models import MailStatus
from lms.privacy.models import PrivacyRequest
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, Quiz
from tests.core.test_access_matrix import build_world
from tests.factories import OutboxMessageFactory
from tests.materials import samples
from tests.organise.conftest import course_form, run_form

SAMPLES = sorted((Path(__file__).parents[1] / "attendance" / "samples").glob("*.csv"))
EXAMPLES = 30

# -- what a broken or hostile client sends ------------------------------------------------

ODD_VALUES = [
    b"", b" ", b"\x00", b"a\x00b", b"\xed\xa0\x80", b"\xff\xfe", b"0", b"-1", b"1.5", b"1e400",
    b"NaN", b"-inf", b"99999999999999999999999", b"-9223372036854775809", b"2031-02-30",
    b"2031-13-01", b"0000-01-01", b"9999-12-31", b"24:00", b"25:61", b"y", b"on", b"true",
    b"<script>alert(1)</script>", b"'; DROP TABLE users; --", b"../../etc/passwd",
    "Ấp Đông Hòa, Dĩ An, Bình Dương".encode(), "\u202eevil\u202c".encode(), "👩🏽‍🏫".encode(),
    "Ｆｕｌｌｗｉｄｔｈ".encode(), "e\u0301".encode(),
]  # fmt: skip

# What breaks a database or a parser most often, drawn as often as all the rest.
DANGEROUS = [b"a\x00b", b"\xed\xa0\x80", b"99999999999999999999999", b"-2147483649", b"2147483648",
             b"9223372036854775808", b"1e400", b"NaN", b"x" * 3000, b"0000-01-01", b"9999-12-31"]  # fmt: skip

ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=40)
SURROGATES = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
JUNK = st.one_of(
    st.sampled_from(ODD_VALUES),
    ANY_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.builds(lambda head, tail: (head + tail).encode("utf-8", "surrogatepass"), ANY_TEXT, SURROGATES),
    st.binary(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(lambda number: str(number).encode()),
    st.floats().map(lambda number: repr(number).encode()),
    st.builds(
        lambda text, times: (text * times).encode(), st.text(min_size=1, max_size=5), st.integers(500, 20000)
    ),
)


def field_values(valid) -> st.SearchStrategy[list[bytes]]:
    """A field: its valid value(s), left out, junk, or sent more than once."""
    valid_values = [valid] if isinstance(valid, str) else list(valid)
    encoded = [value.encode() for value in valid_values]
    return st.one_of(
        st.just(encoded),
        st.just([]),
        JUNK.map(lambda value: [value]),
        st.lists(st.one_of(st.sampled_from(encoded or [b""]), JUNK), min_size=2, max_size=3),
    )


def fields(valid: dict) -> st.SearchStrategy[list[tuple[str, bytes]]]:
    """(name, value) pairs: every field mutated at once, or a valid form with one bad
    field (which gets past the other fields' checks), plus stray fields."""
    every_field = st.fixed_dictionaries({name: field_values(value) for name, value in valid.items()})
    as_sent = {name: [value] if isinstance(value, str) else list(value) for name, value in valid.items()}
    one_bad_field = (
        st.tuples(
            st.sampled_from(sorted(valid)),
            st.lists(st.one_of(st.sampled_from(DANGEROUS), JUNK), min_size=1, max_size=2),
        ).map(lambda bad: {**as_sent, bad[0]: bad[1]})
        if valid
        else st.just({})
    )
    strays = st.lists(st.tuples(st.text(max_size=12), JUNK), max_size=2)
    return st.builds(
        lambda chosen, extra: (
            [(name, encoded(value)) for name, values in chosen.items() for value in values] + extra
        ),
        st.one_of(every_field, one_bad_field),
        strays,
    )


def encoded(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def encoded_body(token: str, pairs: list[tuple[str, bytes]]) -> bytes:
    """The urlencoded body, byte for byte: invalid UTF-8 reaches the server as sent."""
    parts = [f"csrf_token={quote(token)}"]
    parts += [
        f"{quote(name.encode('utf-8', 'surrogatepass'))}={quote_from_bytes(value)}" for name, value in pairs
    ]
    return "&".join(parts).encode()


def explore(strategy, check, examples: int = EXAMPLES) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(strategy)
    def run(example):
        check(example)

    run()


# -- what must hold -------------------------------------------------------------------------


def row_counts() -> tuple[int, ...]:
    """Rows of every table, in one statement."""
    counts = [
        select(func.count()).select_from(table).scalar_subquery() for table in db.metadata.sorted_tables
    ]
    result = tuple(db.session.execute(select(*counts)).one())
    db.session.rollback()
    return result


class Visitor:
    """A signed-in (or anonymous) browser whose CSRF token stays fresh."""

    def __init__(self, app, email: str | None = None) -> None:
        self.client = app.test_client()
        if email:
            self.client.sign_in(email)
        self.token = self.client.csrf_token()

    def post(self, path: str, pairs: list[tuple[str, bytes]]):
        body = encoded_body(self.token, pairs)
        return self.client.post(path, data=body, content_type="application/x-www-form-urlencoded")

    def upload(self, path: str, data: dict):
        return self.client.post(
            path, data={"csrf_token": self.token, **data}, content_type="multipart/form-data"
        )

    def after(self, response) -> None:
        """A success may start a new session (sign-up, password change): fetch a new token."""
        if response.status_code in (302, 303):
            self.token = self.client.csrf_token()


def check_answer(response, before: tuple[int, ...], where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if response.status_code not in (302, 303):
        assert row_counts() == before, f"{where} answered {response.status_code} yet saved rows"


def fuzz_form(visitor: Visitor, path: str, valid: dict, examples: int = EXAMPLES) -> None:
    def check(pairs):
        before = row_counts()
        response = visitor.post(path, pairs)
        check_answer(response, before, f"POST {path}")
        visitor.after(response)

    explore(fields(valid), check, examples)


# -- the forms ------------------------------------------------------------------------------

PROFILE = {
    "full_name": "Lê Thị Thu Trang",
    "organisation": "Công ty TNHH Xanh",
    "organisation_type": "enterprise",
    "job_title": "Kỹ sư môi trường",
    "province": "dong-nai",
    "gender": "female",
    "locale": "vi",
    "timezone": "Asia/Ho_Chi_Minh",
}


def test_account_forms(app, db):
    world = build_world(app)
    learner = world.emails["learner"]

    def as_guest(path: str, valid: dict) -> None:
        def check(pairs):
            before = row_counts()
            response = Visitor(app).post(path, pairs)  # a new browser each time: no one signed in
            check_answer(response, before, f"POST {path}")

        explore(fields(valid), check)

    password = {"password": "a-long-enough-password", "confirm": "a-long-enough-password"}
    as_guest(
        "/account/signup", {"email": "new.person@example.org", **password, **PROFILE, "consent": "course"}
    )
    as_guest("/account/login", {"email": learner, "password": "correct horse battery", "remember": "y"})
    as_guest("/account/reset", {"email": learner})
    as_guest(f"/account/reset/{world.values['reset_token']}", password)
    visitor = Visitor(app, world.emails["trainer"])  # the learner's password was reset above
    fuzz_form(visitor, "/account/profile", PROFILE)
    fuzz_form(visitor, "/account/password", {"current_password": "correct horse battery", **password})


def test_learner_forms(app, db):
    world = build_world(app)
    values = world.values
    quiz = db.session.get(Quiz, values["quiz_id"])
    quiz.attempts_allowed = 0  # no limit: the learner may start a second attempt, left open
    learner = db.session.get(Attempt, values["attempt_id"]).user
    attempt = quizzes.start_attempt(quiz, learner)
    db.session.commit()
    answers = {}
    for answer in attempt.answers:
        kind = answer.snapshot["kind"]
        answers[f"q-{answer.question_id}"] = {
            "single": "a",
            "multiple": ["a", "b"],
            "true_false": "true",
        }.get(kind, "cộng sinh công nghiệp")
        answers[f"present-{answer.question_id}"] = "1"

    newcomer = Visitor(app, world.emails["other learner"])
    module_field = f"module-{values['module_id']}"
    fuzz_form(
        newcomer,
        f"/courses/{values['slug']}/register",
        {module_field: f"run-{values['later_run_id']}", "confirm_profile": "y", "consent": "course"},
    )
    visitor = Visitor(app, world.emails["learner"])
    fuzz_form(visitor, f"/attempts/{attempt.id}/autosave", answers)
    fuzz_form(visitor, f"/attempts/{attempt.id}", {**answers, "action": "save"})
    fuzz_form(
        visitor,
        f"/my/registrations/{values['registration_id']}/switch",
        {"run_id": str(values["later_run_id"])},
    )
    fuzz_form(visitor, f"/my/choices/{values['choice_id']}/leave", {})
    fuzz_form(visitor, f"/quizzes/{quiz.id}/attempts", {})
    fuzz_form(visitor, "/my/messages/preferences", {"optional": "off"})
    fuzz_form(visitor, f"/checkin/{values['run_id']}", {"code": "7K2M9Q"})
    # the learner's data: keep the account, a copy (one job however often), deletion (one request)
    fuzz_form(visitor, "/account/data/keep", {"keep_account": "y"})
    fuzz_form(visitor, "/account/data/download", {})
    fuzz_form(
        visitor, "/account/delete", {"reason": "Tôi đổi công việc.", "password": "correct horse battery"}
    )
    assert (
        db.session.scalar(select(func.count()).select_from(PrivacyRequest)) == 2
    )  # with the world's done one
    db.session.rollback()
    # last: a valid cancellation ends the registration
    fuzz_form(visitor, f"/my/registrations/{values['registration_id']}/cancel", {"confirm": "y"})


def message_form(scope: str, **extra) -> dict:
    return {
        "scope": scope, "audience": "seat", "about_seats": "y", "when": "later", "send_on": "2031-01-02",
        "send_time": "09:00", "subject_vi": "Đường dẫn mới", "body_vi": "Phòng **mới**.",
        "subject_en": "New link", "body_en": "A **new** room.", **extra,
    }  # fmt: skip


def test_consent_forms(app, db):
    world = build_world(app)
    learner = Visitor(app, world.emails["learner"])
    fuzz_form(learner, "/account/data/consents/recordings/give", {})
    fuzz_form(learner, "/account/data/consents/recordings/withdraw", {})
    organiser = Visitor(app, world.emails["organiser"])
    notice = {"text_vi": "## Thông báo mới", "text_en": "## New notice", "preview": "1"}
    fuzz_form(organiser, "/organise/privacy/notices/new", notice)
    fuzz_form(organiser, "/organise/privacy/notices/new", {**notice, "publish": "1"})
    # a new version is in force: the learner accepts it (the token was fetched before)
    fuzz_form(
        learner, "/account/privacy-notice", {"consent": ["course", "donor_sharing"], "next": "/my/schedule"}
    )


def test_trainer_forms(app, db):
    world = build_world(app)
    values = world.values
    visitor = Visitor(app, world.emails["trainer"])
    learner_id = values["user_id"]
    fuzz_form(
        visitor,
        f"/teach/runs/{values['run_id']}/attendance",
        {f"status-{learner_id}": "late", f"minutes-{learner_id}": "45", f"note-{learner_id}": "Mạng yếu", "action": "save"},
    )  # fmt: skip
    fuzz_form(visitor, f"/teach/runs/{values['run_id']}/checkin/rotate", {})
    fuzz_form(
        visitor,
        f"/teach/quizzes/{values['quiz_id']}",
        {"title_vi": "Kiểm tra", "title_en": "Check", "pass_mark": "80", "attempts_allowed": "2",
         "time_limit_minutes": "15", "opens_at": "2030-01-01 08:00", "closes_at": "2031-01-01 17:00",
         "shuffle_questions": "y", "show_after": "score", "show_when": "immediately"},
    )  # fmt: skip
    question = {
        "text_vi": "Câu hỏi?", "text_en": "Question?", "points": "1.5", "options_vi": "Một\nHai",
        "options_en": "One\nTwo", "correct": "1", "true_answer": "true", "accepted_vi": "cộng sinh",
        "accepted_en": "symbiosis", "accent_insensitive": "y", "min_words": "3", "max_words": "50",
        "feedback_vi": "Đúng", "feedback_en": "Right",
    }  # fmt: skip
    fuzz_form(visitor, f"/teach/modules/{values['module_id']}/pretest", {})  # it exists: refused
    for kind in ("single", "multiple", "true_false", "short", "essay"):
        fuzz_form(visitor, f"/teach/quizzes/{values['quiz_id']}/questions/new/{kind}", question, examples=12)
    fuzz_form(visitor, f"/teach/questions/{values['question_id']}/edit", question)
    essay = db.session.scalars(select(Attempt).where(Attempt.id == values["attempt_id"])).one().answers[-1]
    fuzz_form(
        visitor,
        f"/teach/attempts/{values['attempt_id']}/grade",
        {f"points-{essay.id}": "2,5", f"feedback-{essay.id}": "Tốt"},
    )
    material = {
        "title_vi": "Ghi hình", "title_en": "Recording", "description_vi": "**Buổi 1**",
        "description_en": "", "languages": ["vi", "en"], "visibility": "registered",
        "url": "https://video.example.org/1",
    }  # fmt: skip
    fuzz_form(
        visitor, f"/manage/courses/{values['slug']}/modules/{values['key']}/materials/new/link", material
    )
    fuzz_form(visitor, f"/manage/materials/{values['link_material_id']}", material)
    # a message to the seats of the trainer's run, sent now, or previewed
    messages = f"/organise/courses/{values['slug']}/messages"
    fuzz_form(visitor, f"{messages}/new", message_form(f"run-{values['run_id']}", action="send"))
    fuzz_form(visitor, f"{messages}/new", message_form(f"run-{values['run_id']}", action="preview"))
    fuzz_form(visitor, f"{messages}/new", message_form(f"run-{values['run_id']}", action="draft"))
    fuzz_form(visitor, f"{messages}/{values['participant_message_id']}/cancel", {})
    fuzz_form(
        visitor,
        f"/teach/runs/{values['report_run_id']}/attendance/import/{values['digest']}",
        {"questions": "4", "key-0": "name:tran minh", "decision-0": str(learner_id), "key-1": "name:nguyen van an",
         "decision-1": "ignore", "ignore_open": "1", "replace": str(learner_id), "action": "apply",
         "zone": "Asia/Ho_Chi_Minh"},
    )  # fmt: skip


def mutated(data: bytes, edits: list[tuple[int, bytes]], cut: int | None) -> bytes:
    for position, replacement in edits:
        position %= max(len(data), 1)
        data = data[:position] + replacement + data[position + len(replacement) :]
    return data[:cut] if cut is not None else data


REPORTS = st.one_of(
    st.binary(max_size=3000),
    st.builds(
        mutated,
        st.sampled_from([path.read_bytes() for path in SAMPLES]),
        st.lists(st.tuples(st.integers(0, 10**5), st.binary(min_size=1, max_size=6)), max_size=8),
        st.one_of(st.none(), st.integers(0, 5000)),
    ),
)
ZONES = st.one_of(st.sampled_from(["Asia/Ho_Chi_Minh", "UTC", "Europe/Vienna", "Mars/Olympus", ""]), ANY_TEXT)
NAMES = st.one_of(st.sampled_from(["zoom.csv", "report.CSV", "báo cáo.csv", "x", ".csv", ""]), ANY_TEXT)


def test_uploads(app, db):
    """Participant reports (random bytes, and the samples with bytes changed) and materials."""
    world = build_world(app)
    values = world.values
    visitor = Visitor(app, world.emails["trainer"])
    path = f"/teach/runs/{values['report_run_id']}/attendance/import"

    def check_report(example):
        data, filename, zone = example
        before = row_counts()
        response = visitor.upload(path, {"report": (io.BytesIO(data), filename), "zone": zone})
        check_answer(response, before, f"POST {path}")
        if response.status_code == 302:  # read and kept: the review must show it
            review = visitor.client.get(response.headers["Location"])
            assert review.status_code < 500
            assert row_counts() == before

    explore(st.tuples(REPORTS, NAMES, ZONES), check_report, examples=60)

    new_file = f"/manage/courses/{values['slug']}/modules/{values['key']}/materials/new/file"
    files = st.one_of(
        st.binary(max_size=2000), st.sampled_from([samples.PDF, samples.PNG, samples.JPEG, samples.HTML])
    )
    names = st.one_of(st.sampled_from(["slides.pdf", "a.png", "b.docx", "c.xlsx", "d.exe", "noext"]), NAMES)

    def check_material(example):
        data, filename, visibility = example
        before = row_counts()
        form = {"title_vi": "Tệp", "title_en": "File", "languages": "vi", "visibility": visibility,
                "file": (io.BytesIO(data), filename)}  # fmt: skip
        response = visitor.upload(new_file, form)
        check_answer(response, before, f"POST {new_file}")

    explore(st.tuples(files, names, st.sampled_from(["everyone", "registered", "nobody"])), check_material)


def test_organiser_forms(app, db):
    world = build_world(app)
    values = world.values
    visitor = Visitor(app, world.emails["organiser"])
    slug = values["slug"]
    fuzz_form(visitor, "/organise/courses/new", course_form())
    fuzz_form(
        visitor,
        f"/organise/courses/{slug}/messages/new",
        message_form("edition", audience="everyone", action="send"),
    )
    fuzz_form(visitor, f"/organise/courses/{slug}/settings", course_form(slug=slug, status="published"))
    module = {
        "key": "m3", "title_vi": "Cộng sinh", "title_en": "Symbiosis", "outline_vi": "## Nội dung",
        "outline_en": "## Content", "objectives_vi": "Hiểu\nLàm", "objectives_en": "Know\nDo",
        "position": "2", "duration_minutes": "150",
    }  # fmt: skip
    fuzz_form(visitor, f"/organise/courses/{slug}/modules/new", module)
    fuzz_form(visitor, f"/organise/courses/{slug}/modules/{values['key']}", {**module, "key": values["key"]})
    run = run_form(trainers=[str(values["trainer_id"])])
    fuzz_form(visitor, f"/organise/courses/{slug}/modules/{values['key']}/runs/new", run)
    fuzz_form(visitor, f"/organise/runs/{values['later_run_id']}", run)
    fuzz_form(
        visitor,
        f"/organise/courses/{slug}/copy",
        {"slug": "eip-2040", "starts_on": "2040-01-03", "title_vi": "KCNST 2040", "title_en": "EIP 2040",
         "opens_on": "2039-12-01", "opens_time": "08:00", "closes_on": "2039-12-20", "closes_time": "23:59"},
    )  # fmt: skip
    fuzz_form(visitor, f"/organise/runs/{values['run_id']}/capacity", {"capacity": "25"})
    learner = f"/organise/courses/{slug}/learners/{values['user_id']}"
    fuzz_form(
        visitor, f"{learner}/progress", {"module_id": str(values["module_id"]), "reason": "Báo cáo bị mất."}
    )
    fuzz_form(
        visitor, f"{learner}/exceptions/{values['exception_id']}/revoke", {"reason": "Đã tìm thấy báo cáo."}
    )
    fuzz_form(
        visitor,
        f"/organise/courses/{slug}/certificates/{values['certificate_id']}/revoke",
        {"reason": "Sai tên."},
    )
    fuzz_form(visitor, f"/organise/courses/{slug}/certificates/issue", {"user_id": str(values["user_id"])})
    # Outgoing mail: the buttons carry the page's filter (edition and kind limit "all").
    course_id = db.session.scalar(select(Course.id).where(Course.slug == slug))
    failed = [OutboxMessageFactory(kind="reminder", course_id=course_id, status=MailStatus.FAILED, attempts=7)
              for _ in range(3)]  # fmt: skip
    db.session.commit()
    mail_filter = {"course": str(course_id), "kind": "reminder", "status": "failed", "recipient": "example.org",
                   "page": "2"}  # fmt: skip
    fuzz_form(visitor, f"/organise/mail/{failed[0].id}/send-again", mail_filter)
    fuzz_form(visitor, "/organise/mail/send-again", mail_filter)
    # the buttons that start a job (the same work is started once; a refusal starts none)
    fuzz_form(visitor, f"/organise/courses/{slug}/certificates.zip", {})
    fuzz_form(visitor, f"/organise/courses/{slug}/exports/results.xlsx", {"module": values["key"]})
    fuzz_form(visitor, f"/organise/courses/{slug}/exports/registrations.csv", {})
    fuzz_form(visitor, f"/organise/courses/{slug}/runs/{values['run_id']}/roster.csv", {})
    fuzz_form(visitor, f"/organise/courses/{slug}/dashboard.xlsx", {})
    fuzz_form(visitor, f"/organise/jobs/{values['job_id']}/again", {})
    assert_jobs_started_once(visitor)
    fuzz_form(visitor, f"/organise/privacy/requests/{values['request_id']}/process", {})  # done: refused
    # last: a valid cancellation cancels the run for good
    fuzz_form(
        visitor,
        f"/organise/runs/{values['later_run_id']}/cancel",
        {"reason_vi": "Giảng viên bị ốm.", "reason_en": "The trainer is ill.", "confirm": "y"},
    )


def assert_jobs_started_once(visitor: Visitor) -> None:
    """However the buttons were pressed, each piece of work is queued once (none ran)."""
    queued = [
        (kind, json.dumps(params, sort_keys=True), locale)
        for kind, params, locale in db.session.execute(
            select(BackgroundJob.kind, BackgroundJob.params, BackgroundJob.locale).where(
                BackgroundJob.status == JobStatus.QUEUED
            )
        )
    ]
    db.session.rollback()
    assert queued and len(queued) == len(set(queued)), queued
    # a learner's copy of their own data is theirs alone, not on the organisers' job pages
    for job_id in db.session.scalars(select(BackgroundJob.id).where(BackgroundJob.kind != "privacy_data")):
        assert visitor.client.get(f"/organise/jobs/{job_id}").status_code == 200


def test_the_json_endpoint(app, db):
    world = build_world(app)
    client = app.test_client()
    slugs = st.one_of(st.just(world.values["slug"]), st.just("other-course"), ANY_TEXT, SURROGATES)
    queries = st.one_of(st.just(b""), st.binary(max_size=60), JUNK)

    def check(example):
        slug, query = example
        path = "/api/v1/courses/" + quote(slug.encode("utf-8", "surrogatepass"), safe="")
        response = client.get(path + "?" + quote_from_bytes(query, safe="=&;+"))
        refused = b"\x00" in query or "\x00" in slug  # see lms.security.refuse_nul_characters
        assert response.status_code in ((400,) if refused else (200, 404)), (path, response.status_code)
        if response.status_code == 200:
            assert response.is_json and re.fullmatch(r"[a-z0-9-]+", response.json["slug"])

    explore(st.tuples(slugs, queries), check, examples=80)


def test_the_outgoing_mail_filter(app, db):
    """The filter of /organise/mail is a GET form: junk in any field is ignored, never a 5xx."""
    world = build_world(app)
    client = app.test_client()
    client.sign_in(world.emails["organiser"])
    course_id = db.session.scalar(select(Course.id).where(Course.slug == world.values["slug"]))
    valid = {
        "course": str(course_id),
        "kind": "reminder",
        "status": "failed",
        "recipient": "learner",
        "page": "1",
    }

    def check(pairs):
        query = "&".join(f"{quote(name.encode('utf-8', 'surrogatepass'))}={quote_from_bytes(value)}"
                         for name, value in pairs)  # fmt: skip
        response = client.get("/organise/mail?" + query)
        # A NUL is refused with 400 (lms.security.refuse_nul_characters), or ignored with
        # the rest of a repeated field, whose first value alone is read.
        nul = any(b"\x00" in value or "\x00" in name for name, value in pairs)
        assert response.status_code in ((200, 400) if nul else (200,)), (query, response.status_code)

    explore(fields(valid), check)


def test_the_learning_gain_page_with_junk_in_its_address(app, db):
    """Its one input is the edition's slug: junk is a 404 (a NUL a 400; an empty slug
    the router's redirect to the merged slashes), never a 5xx."""
    build_world(app)
    for who in ("organiser@example.org", "trainer@example.org"):
        client = app.test_client()
        client.sign_in(who)
        for value in [value for value in ODD_VALUES + DANGEROUS if value.strip(b" ")]:
            response = client.get(f"/organise/courses/{quote_from_bytes(value)}/learning-gain?lang=%ff")
            assert response.status_code in ((400, 404) if b"\x00" in value else (404,)), value


HUGE = "99999999999999999999"  # no INTEGER column holds it: PostgreSQL failed with a 500


def test_ids_no_column_can_hold_are_refused_not_a_crash(app, db):
    """Found by the fuzz above on PostgreSQL ("integer out of range"); "²" passes
    str.isdigit but not int()."""
    values = build_world(app).values
    learner = Visitor(app, "learner@example.org")
    for run_id in (HUGE, "²"):
        response = learner.post(
            f"/my/registrations/{values['registration_id']}/switch", [("run_id", run_id.encode())]
        )
        assert response.status_code == 302
        assert 'class="flash flash-error"' in learner.client.get("/my/schedule").get_data(as_text=True)
    newcomer = Visitor(app, "other.learner@example.org")
    pick = [(f"module-{HUGE}", b"run-1"), (f"module-{values['module_id']}", f"run-{HUGE}".encode()),
            ("confirm_profile", b"y"), ("consent", b"course")]  # fmt: skip
    assert newcomer.post(f"/courses/{values['slug']}/register", pick).status_code == 200
    organiser = Visitor(app, "organiser@example.org")
    issue = f"/organise/courses/{values['slug']}/certificates/issue"
    assert organiser.post(issue, [("user_id", HUGE.encode())]).status_code == 404
    assert organiser.client.get(f"/organise/audit?course={HUGE}&person=²").status_code == 200
    assert organiser.client.get(f"/organise/jobs/{HUGE}").status_code == 404
    assert organiser.client.get(f"/organise/jobs/{HUGE}/download").status_code == 404
    assert organiser.post(f"/organise/jobs/{HUGE}/again", []).status_code == 404
    trainer = Visitor(app, "trainer@example.org")
    review = f"/teach/runs/{values['report_run_id']}/attendance/import/{values['digest']}"
    decisions = [("questions", b"1"), ("key-0", b"name:tran minh"), ("decision-0", HUGE.encode()),
                 ("replace", HUGE.encode()), ("action", b"apply")]  # fmt: skip
    assert trainer.post(review, decisions).status_code in (200, 302)
