"""Every route of the app, requested by six visitors, answers as this table says.

The table below names every (method, rule) the app serves, and what each visitor gets:
a guest, the learner registered for "this course", a learner of another course, a
trainer of this course's runs, a trainer of another course, and an organiser. Every URL
parameter points at a real object of this course (the learner's attempt, certificate,
registration, ...), so the object-level checks are exercised, not only the role checks.

A route that is missing from the table fails the test ("add an expectation"), so a new
route cannot slip in unchecked. POSTs carry a valid CSRF token and harmless or empty
form data: the answer is the refusal or the form shown again, and the test checks at the
end that no row was added or removed and no state below changed. GET on a POST-only
route must answer 405 for everyone (no state change by GET).

One test function per backend builds the data once and loops over every route and
visitor (a test per route would build the data ~100 times).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from lms.accounts.models import PasswordResetToken, User
from lms.accounts.services import _token_digest
from lms.attendance import report_import
from lms.audit.models import AuditEvent
from lms.certificates.models import Certificate
from lms.certificates.services import display_code
from lms.completion import exceptions as completion_exceptions
from lms.enrollment.models import Registration, RunChoice
from lms.extensions import db
from lms.jobs.models import BackgroundJob, JobStatus
from lms.jobs.tracking import RESULTS_FOLDER
from lms.mail.models import MailStatus, OutboxMessage
from lms.materials import services as materials
from lms.materials.models import Material
from lms.messages.sending import send_due
from lms.privacy.models import PrivacyRequest
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, Question
from lms.recordings.models import Recording
from tests.factories import (
    BackgroundJobFactory,
    CertificateFactory,
    ConsentFactory,
    CourseFactory,
    MessageFactory,
    ModuleFactory,
    OutboxMessageFactory,
    PrivacyNoticeFactory,
    RunFactory,
    UserFactory,
    hold,
    registration_for,
)
from tests.materials import samples
from tests.quizzes.conftest import ESSAY, QUESTIONS, make_quiz

SAMPLES = Path(__file__).parents[1] / "attendance" / "samples"

VISITORS = ("guest", "learner", "other learner", "trainer", "other trainer", "organiser")
SIGN_IN = "sign-in"  # a redirect to the sign-in page
RESET_TOKEN = "a-reset-link-token-of-the-learner-0123456789"

# What each visitor gets, in the order of VISITORS.
EVERYONE = (200,) * 6
SIGNED_IN = (SIGN_IN, 200, 200, 200, 200, 200)
SIGNED_IN_REDIRECTED = (SIGN_IN, 302, 302, 302, 302, 302)
GUESTS_ONLY = (200, 302, 302, 302, 302, 302)  # sign-in and sign-up send members on
OWNER = (SIGN_IN, 200, 404, 404, 404, 404)  # the learner's own object; organisers included
OWNER_REDIRECTED = (SIGN_IN, 302, 404, 404, 404, 404)
MANAGERS = (SIGN_IN, 403, 403, 200, 403, 200)  # trainers of this course and organisers
MANAGERS_REDIRECTED = (SIGN_IN, 403, 403, 302, 403, 302)
ORGANISERS = (SIGN_IN, 403, 403, 403, 403, 200)
ORGANISERS_REDIRECTED = (SIGN_IN, 403, 403, 403, 403, 302)

EXPECTED: dict[str, tuple] = {
    # -- public pages -----------------------------------------------------------------
    "GET /": EVERYONE,
    "GET /privacy": EVERYONE,
    "GET /healthz": EVERYONE,
    "GET /courses/<slug>": EVERYONE,
    "GET /courses/<slug>/modules/<key>": EVERYONE,
    "GET /courses/<slug>/modules/<key>/quiz": EVERYONE,
    "GET /courses/<slug>/modules/<key>/pretest": EVERYONE,
    "GET /courses/<slug>/calendar.ics": EVERYONE,
    "GET /api/v1/courses/<slug>": EVERYONE,
    "GET /verify": EVERYONE,
    "GET /verify/<code>": EVERYONE,
    "GET /calendar/<token>.ics": EVERYONE,  # the token is the key, whoever holds it
    # -- accounts -----------------------------------------------------------------------
    "GET /account/login": GUESTS_ONLY,
    "POST /account/login": GUESTS_ONLY,  # empty: the form again
    "GET /account/signup": GUESTS_ONLY,
    "POST /account/signup": GUESTS_ONLY,
    "GET /account/reset": EVERYONE,
    "POST /account/reset": EVERYONE,
    "GET /account/reset/<token>": EVERYONE,  # a real link, whoever follows it
    "POST /account/reset/<token>": EVERYONE,
    "GET /account/profile": SIGNED_IN,
    "POST /account/profile": SIGNED_IN_REDIRECTED,  # fields left out keep their saved values
    "GET /account/password": SIGNED_IN,
    # -- consent: the learner's data page, the re-acceptance of a new notice ---------------
    "GET /privacy/<int:version>": EVERYONE,
    "POST /account/data/consents/<purpose>/withdraw": SIGNED_IN_REDIRECTED,  # taking part: refused
    "POST /account/data/consents/<purpose>/give": SIGNED_IN_REDIRECTED,  # taking part: not here
    "GET /account/privacy-notice": SIGNED_IN_REDIRECTED,  # nothing new to accept
    "POST /account/privacy-notice": SIGNED_IN_REDIRECTED,
    "GET /organise/privacy": ORGANISERS,
    "GET /organise/privacy/notices/new": ORGANISERS,
    "POST /organise/privacy/notices/new": ORGANISERS,  # no text: the form again
    "POST /account/password": SIGNED_IN,
    "GET /account/data": SIGNED_IN,
    "POST /account/data/download": SIGNED_IN_REDIRECTED,  # starts a job: each visitor's own copy
    "GET /account/data/download/<int:job_id>": OWNER,  # the learner's copy; organisers included
    "POST /account/data/keep": SIGNED_IN_REDIRECTED,  # unticked: as it was
    "GET /account/delete": SIGNED_IN,
    "POST /account/delete": SIGNED_IN,  # no password: the form again
    # -- registration and the learner's own pages -----------------------------------------
    "GET /courses/<slug>/register": (SIGN_IN, 302, 200, 200, 200, 200),  # registered: to My schedule
    "POST /courses/<slug>/register": (SIGN_IN, 302, 200, 200, 200, 200),
    "GET /my/schedule": SIGNED_IN,
    # the seat holder, the run's trainer and the organiser go to the video call (each
    # click logged); the others to the module page with a message
    "GET /join/<int:run_id>": SIGNED_IN_REDIRECTED,
    "GET /checkin/<int:run_id>": SIGNED_IN,
    "POST /checkin/<int:run_id>": SIGNED_IN,  # no code: the form again with a message
    "GET /my/certificates": SIGNED_IN,
    "GET /my/progress/<slug>": OWNER,  # only the registered see their progress
    "GET /my/registrations/<int:registration_id>/cancel": OWNER,
    "POST /my/registrations/<int:registration_id>/cancel": OWNER,  # the box is not ticked
    "POST /my/registrations/<int:registration_id>/switch": OWNER_REDIRECTED,
    "POST /my/choices/<int:choice_id>/leave": OWNER_REDIRECTED,  # not waiting: refused
    "GET /certificates/<int:certificate_id>/download": (SIGN_IN, 200, 404, 404, 404, 200),
    "POST /my/certificates/<int:certificate_id>/correction": OWNER_REDIRECTED,  # the name is right: refused
    # -- quizzes: taking --------------------------------------------------------------------
    "POST /quizzes/<int:quiz_id>/attempts": SIGNED_IN_REDIRECTED,  # refused: no attempt left / not registered
    "GET /attempts/<int:attempt_id>": OWNER_REDIRECTED,  # submitted: to its result
    "POST /attempts/<int:attempt_id>": OWNER_REDIRECTED,  # submitted: closed
    "POST /attempts/<int:attempt_id>/autosave": (SIGN_IN, 409, 404, 404, 404, 404),
    "GET /attempts/<int:attempt_id>/result": OWNER,
    # -- materials ---------------------------------------------------------------------------
    "GET /materials/<int:material_id>/download": (SIGN_IN, 200, 403, 200, 403, 200),
    "GET /materials/<int:material_id>/link": (SIGN_IN, 302, 403, 302, 403, 302),
    "GET /manage/courses/<slug>/modules/<key>/materials": MANAGERS,
    "GET /manage/courses/<slug>/modules/<key>/materials/new/<any(file, link):kind>": MANAGERS,
    "POST /manage/courses/<slug>/modules/<key>/materials/new/<any(file, link):kind>": MANAGERS,
    "GET /manage/materials/<int:material_id>": MANAGERS,
    "POST /manage/materials/<int:material_id>": MANAGERS,
    "POST /manage/materials/<int:material_id>/versions": MANAGERS,  # no file: the page again
    "GET /manage/materials/<int:material_id>/versions/<int:number>": MANAGERS,
    "POST /manage/materials/<int:material_id>/publish": MANAGERS_REDIRECTED,  # already published
    "POST /manage/materials/<int:material_id>/unpublish": MANAGERS_REDIRECTED,  # already hidden
    "POST /manage/materials/<int:material_id>/move/<any(up, down):direction>": MANAGERS_REDIRECTED,  # first, up
    # -- teaching: attendance, quizzes, grading -------------------------------------------------
    "GET /teach": (SIGN_IN, 403, 403, 200, 200, 200),
    "GET /teach/runs/<int:run_id>/recordings": MANAGERS,
    "POST /teach/runs/<int:run_id>/recordings": MANAGERS,  # no expiry: the form again
    # the learner is registered for the module (another run): the link; others: not found
    "GET /recordings/<int:recording_id>": (SIGN_IN, 302, 404, 302, 404, 302),
    "POST /teach/runs/<int:run_id>/checkin/rotate": MANAGERS_REDIRECTED,  # a run not on: refused
    "GET /teach/runs/<int:run_id>/attendance": MANAGERS,
    "POST /teach/runs/<int:run_id>/attendance": MANAGERS_REDIRECTED,  # no marks: nothing changed
    "GET /teach/runs/<int:run_id>/attendance/import": MANAGERS,
    "POST /teach/runs/<int:run_id>/attendance/import": MANAGERS,  # no file: the form again
    "GET /teach/runs/<int:run_id>/attendance/import/<digest>": MANAGERS,
    "POST /teach/runs/<int:run_id>/attendance/import/<digest>": MANAGERS,  # no action: the review again
    "GET /teach/quizzes/<int:quiz_id>": MANAGERS,
    "GET /organise/courses/<slug>/learning-gain": MANAGERS,  # a trainer: the modules they teach
    "POST /teach/modules/<int:module_id>/pretest": MANAGERS_REDIRECTED,  # it exists: refused
    "POST /teach/quizzes/<int:quiz_id>": MANAGERS,  # empty: the form again
    "GET /teach/quizzes/<int:quiz_id>/questions/new/<kind>": MANAGERS,
    "POST /teach/quizzes/<int:quiz_id>/questions/new/<kind>": MANAGERS,
    "GET /teach/questions/<int:question_id>/edit": MANAGERS,
    "POST /teach/questions/<int:question_id>/edit": MANAGERS,
    "POST /teach/questions/<int:question_id>/archive": MANAGERS_REDIRECTED,  # already archived
    "GET /teach/quizzes/<int:quiz_id>/grading": MANAGERS,
    "GET /teach/attempts/<int:attempt_id>/grade": MANAGERS,
    "POST /teach/attempts/<int:attempt_id>/grade": MANAGERS_REDIRECTED,  # no points given
    "GET /teach/quizzes/<int:quiz_id>/regrade": MANAGERS,
    "POST /teach/quizzes/<int:quiz_id>/regrade": MANAGERS_REDIRECTED,
    "GET /teach/quizzes/<int:quiz_id>/results": MANAGERS,
    # -- organisers ---------------------------------------------------------------------------
    "GET /organise/courses": ORGANISERS,
    "GET /organise/courses/new": ORGANISERS,
    "POST /organise/courses/new": ORGANISERS,
    "GET /organise/courses/<slug>": ORGANISERS,
    "GET /organise/courses/<slug>/settings": ORGANISERS,
    "POST /organise/courses/<slug>/settings": ORGANISERS,
    "GET /organise/courses/<slug>/copy": ORGANISERS,
    "POST /organise/courses/<slug>/copy": ORGANISERS,
    "GET /organise/courses/<slug>/modules/new": ORGANISERS,
    "POST /organise/courses/<slug>/modules/new": ORGANISERS,
    "GET /organise/courses/<slug>/modules/<key>": ORGANISERS,
    "POST /organise/courses/<slug>/modules/<key>": ORGANISERS,
    "POST /organise/courses/<slug>/modules/<key>/move": (SIGN_IN, 403, 403, 403, 403, 400),  # no direction
    "GET /organise/courses/<slug>/modules/<key>/runs/new": ORGANISERS,
    "POST /organise/courses/<slug>/modules/<key>/runs/new": ORGANISERS,
    "GET /organise/runs/<int:run_id>": ORGANISERS,
    "POST /organise/runs/<int:run_id>": ORGANISERS,
    "GET /organise/runs/<int:run_id>/cancel": ORGANISERS,
    "POST /organise/runs/<int:run_id>/cancel": ORGANISERS,  # no reason: the form again
    "POST /organise/runs/<int:run_id>/capacity": ORGANISERS_REDIRECTED,  # no number: refused
    "GET /organise/courses/<slug>/runs": ORGANISERS,
    "GET /organise/courses/<slug>/learners/<int:user_id>/progress": ORGANISERS,
    "POST /organise/courses/<slug>/learners/<int:user_id>/progress": ORGANISERS,  # no reason
    "POST /organise/courses/<slug>/learners/<int:user_id>/exceptions/<int:exception_id>/revoke": ORGANISERS_REDIRECTED,
    "GET /organise/courses/<slug>/certificates": ORGANISERS,
    "POST /organise/courses/<slug>/certificates.zip": ORGANISERS_REDIRECTED,  # starts a job
    "POST /organise/courses/<slug>/certificates/issue": ORGANISERS_REDIRECTED,  # no learner: starts a job
    "POST /organise/courses/<slug>/certificates/<int:certificate_id>/revoke": ORGANISERS_REDIRECTED,  # no reason
    "POST /organise/courses/<slug>/certificates/<int:certificate_id>/reissue": ORGANISERS_REDIRECTED,  # revoked one
    "GET /organise/courses/<slug>/runs/<int:run_id>/roster": ORGANISERS,
    "POST /organise/courses/<slug>/runs/<int:run_id>/roster.<extension>": ORGANISERS_REDIRECTED,  # starts a job
    "GET /organise/courses/<slug>/exports": ORGANISERS,
    "POST /organise/courses/<slug>/exports/<name>.<extension>": ORGANISERS_REDIRECTED,  # starts a job
    "GET /organise/courses/<slug>/dashboard": ORGANISERS,
    "POST /organise/courses/<slug>/dashboard.xlsx": ORGANISERS_REDIRECTED,  # starts a job
    "GET /organise/jobs": ORGANISERS,
    "GET /organise/jobs/<int:job_id>": ORGANISERS,
    "GET /organise/jobs/<int:job_id>/download": ORGANISERS,  # the world's job is done, its file there
    "POST /organise/jobs/<int:job_id>/again": ORGANISERS_REDIRECTED,  # the same ZIP, started above
    "GET /organise/audit": ORGANISERS,
    "GET /organise/mail": ORGANISERS,
    "POST /organise/mail/<int:message_id>/send-again": ORGANISERS_REDIRECTED,  # sent already: nothing to do
    "POST /organise/mail/send-again": ORGANISERS_REDIRECTED,  # no email has failed: nothing to do
    # -- messages to participants ----------------------------------------------------------------
    "GET /organise/courses/<slug>/messages": MANAGERS,
    "GET /organise/courses/<slug>/messages/new": MANAGERS,
    "POST /organise/courses/<slug>/messages/new": MANAGERS,  # empty: the form again
    "GET /organise/courses/<slug>/messages/<int:message_id>": MANAGERS,  # to the trainer's run
    "POST /organise/courses/<slug>/messages/<int:message_id>/cancel": MANAGERS_REDIRECTED,  # sent: refused
    "GET /my/messages": SIGNED_IN,
    "GET /my/messages/<int:message_id>": OWNER,  # its recipients only
    "POST /my/messages/preferences": SIGNED_IN_REDIRECTED,  # no choice: nothing changed
    "GET /organise/privacy/requests": ORGANISERS,
    "POST /organise/privacy/requests/<int:request_id>/process": ORGANISERS_REDIRECTED,  # done already: refused
    # -- last: these change the visitor's own account ------------------------------------------
    "POST /account/calendar/reset": SIGNED_IN_REDIRECTED,
    "POST /account/logout": (302,) * 6,
}

# Where a rule needs other values than the defaults of World.values.
OVERRIDES: dict[str, dict[str, str]] = {
    "GET /account/reset/<token>": {"token": "reset_token"},
    "POST /account/reset/<token>": {"token": "reset_token"},
    "GET /teach/quizzes/<int:quiz_id>/questions/new/<kind>": {"kind": "single"},
    "POST /teach/quizzes/<int:quiz_id>/questions/new/<kind>": {"kind": "single"},
    "GET /materials/<int:material_id>/link": {"material_id": "link_material_id"},
    "POST /manage/materials/<int:material_id>/unpublish": {"material_id": "hidden_material_id"},
    "POST /manage/materials/<int:material_id>/move/<any(up, down):direction>": {"direction": "up"},
    "POST /teach/questions/<int:question_id>/archive": {"question_id": "archived_question_id"},
    "GET /teach/runs/<int:run_id>/attendance/import/<digest>": {"run_id": "report_run_id"},
    "POST /teach/runs/<int:run_id>/attendance/import/<digest>": {"run_id": "report_run_id"},
    "POST /organise/courses/<slug>/certificates/<int:certificate_id>/reissue": {
        "certificate_id": "revoked_certificate_id"
    },
    "POST /organise/courses/<slug>/runs/<int:run_id>/roster.<extension>": {"extension": "csv"},
    "POST /teach/runs/<int:run_id>/checkin/rotate": {"run_id": "later_run_id"},
    "POST /organise/courses/<slug>/exports/<name>.<extension>": {"extension": "xlsx"},
    "GET /organise/courses/<slug>/messages/<int:message_id>": {"message_id": "participant_message_id"},
    "POST /organise/courses/<slug>/messages/<int:message_id>/cancel": {
        "message_id": "participant_message_id"
    },
    "GET /my/messages/<int:message_id>": {"message_id": "participant_message_id"},
    "GET /account/data/download/<int:job_id>": {"job_id": "data_job_id"},
}


@dataclass
class World:
    emails: dict[str, str]  # visitor -> email
    values: dict[str, object]  # URL parameter (or override name) -> value


def build_world(app) -> World:
    """This course (two runs of module m1, a past run with a Zoom report) and another."""
    now = datetime.now(UTC).replace(microsecond=0)
    course = CourseFactory(slug="this-course")
    module = ModuleFactory(course=course, key="m1", position=1)
    trainer = UserFactory(email="trainer@example.org", roles=["trainer"])
    organiser = UserFactory(email="organiser@example.org", roles=["organiser"])
    learner = UserFactory(email="learner@example.org")
    notice = PrivacyNoticeFactory(version=1)
    ConsentFactory(user=learner, notice=notice)  # the learners took part: no re-acceptance
    started = RunFactory(module=module, key="a", starts_at=now - timedelta(hours=1), trainers=[trainer])
    later = RunFactory(module=module, key="b", starts_at=now + timedelta(days=10), trainers=[trainer])
    # the run of the Zoom sample (10 October 2023, 09:00 in Viet Nam)
    reported = RunFactory(module=module, key="z", starts_at=datetime(2023, 10, 10, 2, 0, tzinfo=UTC))
    reported.trainers.append(trainer)

    other = CourseFactory(slug="other-course")
    other_trainer = UserFactory(email="other.trainer@example.org", roles=["trainer"])
    other_run = RunFactory(module=ModuleFactory(course=other, key="x1"), key="a", trainers=[other_trainer])
    other_learner = UserFactory(email="other.learner@example.org")
    ConsentFactory(user=other_learner, notice=notice)
    hold(other_learner, other_run)

    choice = hold(learner, started)
    registration = registration_for(learner, course)
    quiz = make_quiz(module, [*QUESTIONS, ESSAY], shuffle_questions=False, attempts_allowed=1)
    db.session.add(quiz)
    db.session.flush()
    archived = Question(quiz=quiz, position=9, archived=True, **QUESTIONS[2])
    db.session.add(archived)
    db.session.flush()
    attempt = quizzes.start_attempt(quiz, learner)
    quizzes.submit_attempt(attempt, learner)  # the essay waits for grading
    quizzes.create_pretest(module, organiser)

    def details(title: str, visibility: str = "registered", **extra) -> materials.Details:
        return materials.Details(
            title={"vi": title, "en": title}, description={}, languages=["vi"], visibility=visibility, **extra
        )

    handout = materials.add_file(module, trainer, details("Handout"), "handout.pdf", io.BytesIO(samples.PDF))
    link = materials.add_link(module, trainer, details("Recording", url="https://video.example.org/r"))
    hidden = materials.add_link(module, trainer, details("Draft", url="https://video.example.org/d"))
    materials.set_published(hidden, trainer, False)

    # An exception completes the module: the certificate is issued on the spot.
    exception = completion_exceptions.record_exception(learner, module, "Attended the other run.", organiser)
    db.session.flush()
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    revoked = CertificateFactory(code="7K2M9QX4HC8D3RTV6WZB1NFJ5PGA", user=learner, course_id=course.id,
                                 status="revoked", revoked_at=now, revoked_by_id=organiser.id,
                                 revoke_reason="Wrong name")  # fmt: skip
    db.session.add(
        PasswordResetToken(
            user_id=learner.id,
            token_hash=_token_digest(RESET_TOKEN),
            created_at=now,
            expires_at=now + timedelta(hours=1),
        )
    )
    sent_mail = OutboxMessageFactory(recipient=learner.email, kind="reminder", course_id=course.id,
                                     status=MailStatus.SENT, sent_at=now, attempts=1)  # fmt: skip
    recording = Recording(run_id=reported.id, url="https://video.example.org/rec", added_by_id=trainer.id,
                          expires_at=now + timedelta(days=30))  # fmt: skip
    db.session.add(recording)
    db.session.commit()
    digest = report_import.receive_report(
        reported, (SAMPLES / "zoom_participants.csv").read_bytes(), "zoom.csv", "Asia/Ho_Chi_Minh", trainer
    )
    job = finished_job(app, course, organiser)
    # A message to the seats of the trainer's run, sent: the learner received it.
    notice = MessageFactory(course_id=course.id, module_id=module.id, run_id=started.id, audience="seat",
                            author_id=trainer.id)  # fmt: skip
    db.session.commit()
    send_due()
    data_job = finished_data_download(app, learner)
    done_request = PrivacyRequest(user_id=other_learner.id, kind="deletion", status="done", created_at=now,
                                  due_at=now + timedelta(days=15), processed_at=now)  # fmt: skip
    db.session.add(done_request)
    db.session.commit()
    values = {
        "slug": course.slug,
        "key": module.key,
        "run_id": started.id,
        "later_run_id": later.id,
        "module_id": module.id,
        "trainer_id": trainer.id,
        "report_run_id": reported.id,
        "digest": digest,
        "quiz_id": quiz.id,
        "question_id": quiz.questions[0].id,
        "archived_question_id": archived.id,
        "kind": "file",  # materials; the quiz's new question is overridden
        "attempt_id": attempt.id,
        "material_id": handout.id,
        "link_material_id": link.id,
        "hidden_material_id": hidden.id,
        "number": 1,
        "direction": "up",
        "certificate_id": certificate.id,
        "revoked_certificate_id": revoked.id,
        "code": display_code(certificate.code),
        "registration_id": registration.id,
        "choice_id": choice.id,
        "token": learner.calendar_token,
        "reset_token": RESET_TOKEN,
        "user_id": learner.id,
        "exception_id": exception.id,
        "message_id": sent_mail.id,
        "name": "registrations",
        "extension": "csv",
        "job_id": job.id,
        "participant_message_id": notice.id,
        "recording_id": recording.id,
        "purpose": "course",
        "version": 1,
        "data_job_id": data_job.id,
        "request_id": done_request.id,
    }
    emails = {
        "learner": learner.email,
        "other learner": other_learner.email,
        "trainer": trainer.email,
        "other trainer": other_trainer.email,
        "organiser": organiser.email,
    }
    return World(emails, values)


def finished_job(app, course, organiser) -> BackgroundJob:
    """A ZIP of the course's certificates the organiser had prepared, ready to download."""
    path = Path(app.instance_path) / RESULTS_FOLDER / "1-world.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty ZIP
    now = datetime.now(UTC)
    job = BackgroundJobFactory(
        kind="certificates_zip", course_id=course.id, requested_by_id=organiser.id, status=JobStatus.DONE,
        dedup_key="world", progress_done=0, progress_total=0, result_path=f"{RESULTS_FOLDER}/{path.name}",
        result_size=22, download_name="certificates-this-course.zip", mimetype="application/zip",
        finished_at=now, expires_at=now + timedelta(hours=24),
    )  # fmt: skip
    db.session.commit()
    return job


def finished_data_download(app, learner) -> BackgroundJob:
    """The learner's copy of their data, ready to download."""
    path = Path(app.instance_path) / RESULTS_FOLDER / "2-data.zip"
    path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    now = datetime.now(UTC)
    job = BackgroundJobFactory(
        kind="privacy_data", params={"user_id": learner.id}, requested_by_id=learner.id, status=JobStatus.DONE,
        dedup_key="learner-data", result_path=f"{RESULTS_FOLDER}/{path.name}", result_size=22,
        download_name="my-data.zip", mimetype="application/zip", finished_at=now, expires_at=now + timedelta(hours=24),
    )  # fmt: skip
    db.session.commit()
    return job


def served_routes(app) -> dict[str, object]:
    """ "METHOD /rule" -> rule, for every route but static files, HEAD and OPTIONS."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes[f"{method} {rule.rule}"] = rule
    return routes


def url_of(route: str, rule, values: dict) -> str:
    overrides = OVERRIDES.get(route, {})
    arguments = {}
    for name in rule.arguments:
        source = overrides.get(name, name)
        arguments[name] = values.get(source, source)  # an override may be the value itself
    _, path = rule.build(arguments, append_unknown=False)
    return path


def answer(response) -> object:
    if response.status_code in (302, 303) and response.headers["Location"].startswith("/account/login"):
        return SIGN_IN
    return response.status_code


def fingerprint() -> dict[str, object]:
    """Row counts of every table and the states the POSTs could have changed."""
    db.session.expire_all()
    counts = {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }
    states = {
        "registrations": sorted(db.session.scalars(select(Registration.status))),
        "choices": sorted(db.session.scalars(select(RunChoice.status))),
        "certificates": sorted(db.session.scalars(select(Certificate.status))),
        "attempts": sorted(db.session.scalars(select(Attempt.status))),
        "materials": sorted(
            db.session.execute(select(Material.id, Material.position, Material.is_published))
        ),
        "questions": sorted(db.session.execute(select(Question.id, Question.archived))),
        "outbox": sorted(
            db.session.execute(select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts))
        ),
        "audit events": dict(
            db.session.execute(select(AuditEvent.action, func.count()).group_by(AuditEvent.action)).all()
        ),
        "jobs started": sorted(
            db.session.execute(
                select(BackgroundJob.kind, User.email)
                .join(User, User.id == BackgroundJob.requested_by_id)
                .where(BackgroundJob.status == JobStatus.QUEUED)
            ).all()
        ),
    }
    db.session.rollback()
    return {**counts, **states}


def table_of(mismatches: list[tuple]) -> str:
    width = max(len(route) for route, *_ in mismatches)
    lines = [f"{'route':<{width}}  {'visitor':<14} expected  got"]
    lines += [
        f"{route:<{width}}  {visitor:<14} {expected!s:<9} {got}"
        for route, visitor, expected, got in mismatches
    ]
    return "\n".join(lines)


def test_every_route_answers_every_visitor_as_expected(app, db):
    routes = served_routes(app)
    unlisted = sorted(set(routes) - set(EXPECTED))
    assert not unlisted, "Routes without an expectation (add an expectation to EXPECTED):\n" + "\n".join(
        unlisted
    )
    stale = sorted(set(EXPECTED) - set(routes))
    assert not stale, "EXPECTED names routes the app no longer serves:\n" + "\n".join(stale)

    world = build_world(app)
    clients = {visitor: app.test_client() for visitor in VISITORS}
    for visitor, email in world.emails.items():
        clients[visitor].sign_in(email)
    tokens = {visitor: client.csrf_token() for visitor, client in clients.items()}
    before = fingerprint()

    mismatches = []
    for route, expected in EXPECTED.items():
        method = route.split(" ", 1)[0]
        url = url_of(route, routes[route], world.values)
        for visitor, wanted in zip(VISITORS, expected, strict=True):
            client = clients[visitor]
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": tokens[visitor]})
            got = answer(response)
            response.close()
            if got != wanted:
                mismatches.append((f"{method} {url}", visitor, wanted, got))
    assert not mismatches, f"{len(mismatches)} answers differ from the table:\n" + table_of(mismatches)

    after = fingerprint()
    # The regrade button has no fields: pressing it is the whole action. With no answer
    # key changed it changes no score, and the audit log says who pressed it.
    regrades = after["audit events"].pop("quiz.regraded")
    assert regrades == 2  # the trainer's and the organiser's
    after["audit_event"] -= regrades
    # So are the buttons that start a job: the organiser's presses each queued one (none
    # ran), "start again" led to the ZIP already queued, nobody else started any.
    started = after.pop("jobs started")
    assert started == sorted([("certificates_issue", "organiser@example.org"), ("certificates_zip", "organiser@example.org"),
                              ("report_dashboard", "organiser@example.org"), ("report_export", "organiser@example.org"),
                              ("report_roster", "organiser@example.org"),
                              *[("privacy_data", email) for email in world.emails.values()]])  # fmt: skip
    after["background_job"] -= len(started)
    # /join logs each click of those let in: the learner, the trainer, the organiser.
    assert after["join_click"] - before["join_click"] == 3
    after["join_click"] = before["join_click"]
    before.pop("jobs started")
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"the requests changed stored state: {changed}"


def test_get_on_a_post_only_route_is_refused_for_everyone(app, client):
    """No state change by GET: the routing refuses it before any view runs."""
    readable = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    post_only = [rule for rule in app.url_map.iter_rules() if rule.rule not in readable]
    assert len(post_only) >= 15  # the buttons: logout, revoke, archive, move, ...
    for rule in post_only:
        arguments = dict.fromkeys(rule.arguments, 1) | {"direction": "up", "slug": "x", "key": "x"}
        path = rule.build(arguments, append_unknown=False)[1]
        assert client.get(path).status_code == 405, rule.rule
