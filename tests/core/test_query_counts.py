"""The main pages make the same number of SQL queries when the data grows tenfold: ten
times the modules, runs, learners, marks, messages and courses. A page that loads per row (an
N+1) fails here with the two counts side by side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lms.attendance.services import Mark, mark
from lms.catalogue.models import Course
from lms.certificates.services import display_code, new_code
from lms.enrollment import services as enrollment
from lms.evaluations import answering
from lms.messages.sending import send_due
from lms.privacy.models import PrivacyRequest
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    MessageFactory,
    UserFactory,
    course_with_modules,
    evaluation_forms,
)
from tests.helpers import count_queries

PASSWORD_LEARNER = "learner{scale}@example.org"


@dataclass
class World:
    course: Course
    learner_email: str
    trainer_email: str
    organiser_email: str
    calendar_token: str
    certificate_code: str
    run_id: int
    form_id: int


def build(db, scale: int) -> World:
    """A published edition with 2×scale modules of two runs, 3×scale learners holding a
    seat in every module's first run, all marked present in the first, a certificate
    for the first learner, and scale-1 other courses in the catalogue."""
    course = course_with_modules(
        2 * scale, 2, slug=f"grow-{scale}", registration_closes_at=datetime.now(UTC) + timedelta(days=3)
    )
    trainer = UserFactory(email=f"trainer{scale}@example.org", roles=["trainer"])
    first_run = course.modules[0].runs[0]
    first_run.trainers.append(trainer)
    for module in course.modules:
        module.runs[0].capacity = 100
        if module.runs[0] is not first_run:
            module.runs[0].trainers.append(trainer)  # the Teaching page lists 2×scale runs
    learners = [UserFactory(email=PASSWORD_LEARNER.format(scale=scale))] + [
        UserFactory() for _ in range(3 * scale - 1)
    ]
    for learner in learners:
        picks = {module.id: enrollment.Pick(module.runs[0].id) for module in course.modules}
        enrollment.register(learner, course, picks, accepted_privacy=True)
    for learner in learners:
        mark(first_run, learner.id, Mark("present", 110), trainer)
    # module 1's other run has taken place, everyone marked present there too: its
    # evaluation is open; all but the first learner answered it
    other_run = course.modules[0].runs[1]
    other_run.starts_at, other_run.ends_at = (
        datetime.now(UTC) - timedelta(hours=3),
        datetime.now(UTC) - timedelta(hours=1),
    )
    for learner in learners:
        mark(other_run, learner.id, Mark("present", 110), trainer)
    form = evaluation_forms(course)[0]
    for index, learner in enumerate(learners[1:]):
        answers = {
            item.id: {"rating": 1 + index % 5, "text": f"Ý kiến {index}"}.get(item.kind, 0)
            for item in form.items
        }
        answering.submit_evaluation(learner, form, answers, datetime.now(UTC))
    certificate = CertificateFactory(code=new_code(), user=learners[0], course_id=course.id)
    for _ in range(scale - 1):
        CourseFactory()
    for number in range(scale):  # messages to the first run's seats, sent: every learner has them
        MessageFactory(course_id=course.id, module_id=first_run.module_id, run_id=first_run.id,
                       audience="seat", author_id=trainer.id, subject={"vi": f"Tin {number}"})  # fmt: skip
    organiser = UserFactory(email=f"organiser{scale}@example.org", roles=["organiser"])
    for number, learner in enumerate(learners[1:]):  # deletion requests, some overdue, some done
        asked = datetime.now(UTC) - timedelta(days=number % 20)
        db.session.add(PrivacyRequest(user_id=learner.id, kind="deletion", created_at=asked,
                                      due_at=asked + timedelta(days=15), status="done" if number % 3 == 0 else "open",
                                      processed_at=asked if number % 3 == 0 else None))  # fmt: skip
    db.session.commit()
    send_due()
    return World(
        course,
        learners[0].email,
        trainer.email,
        organiser.email,
        learners[0].calendar_token,
        certificate.code,
        first_run.id,
        form.id,
    )


PAGES = {
    # page: (who looks, path)
    "catalogue": (None, "/"),
    "course": (None, "/courses/{slug}"),
    "course, signed in": ("learner", "/courses/{slug}"),
    "module": ("learner", "/courses/{slug}/modules/m1"),
    "course calendar": (None, "/courses/{slug}/calendar.ics"),
    "verify": (None, "/verify/{code}"),
    "my schedule": ("learner", "/my/schedule"),
    "my progress": ("learner", "/my/progress/{slug}"),
    "my certificates": ("learner", "/my/certificates"),
    "personal calendar": (None, "/calendar/{token}.ics"),
    "attendance sheet": ("trainer", "/teach/runs/{run}/attendance"),
    "my evaluations": ("learner", "/my/evaluations"),
    "evaluation form": ("learner", "/my/evaluations/{form}"),
    "results": ("organiser", "/organise/courses/{slug}/results"),
    "results for a trainer": ("trainer", "/organise/courses/{slug}/results"),
    "messages": ("trainer", "/organise/courses/{slug}/messages"),
    "writing a message": ("trainer", "/organise/courses/{slug}/messages/new"),
    "my messages": ("learner", "/my/messages"),
    "teaching": ("trainer", "/teach"),
    "my data": ("learner", "/account/data"),
    "delete my account": ("learner", "/account/delete"),
    "data requests": ("organiser", "/organise/privacy/requests"),
    "data requests done": ("organiser", "/organise/privacy/requests?state=done"),
}


def counts(app, client, world: World) -> dict[str, int]:
    found = {}
    for page, (who, path) in PAGES.items():
        client.post("/account/logout", data={"csrf_token": client.csrf_token()})
        if who:
            emails = {
                "learner": world.learner_email,
                "trainer": world.trainer_email,
                "organiser": world.organiser_email,
            }
            client.sign_in(emails[who])
        url = path.format(slug=world.course.slug, code=display_code(world.certificate_code),
                          token=world.calendar_token, run=world.run_id, form=world.form_id)  # fmt: skip
        with count_queries(app) as counter:
            response = client.get(url)
        assert response.status_code == 200, (page, response.status_code)
        found[page] = counter.count
    return found


def test_main_pages_make_as_many_queries_for_ten_times_the_data(app, client, db):
    small = counts(app, client, build(db, 1))
    large = counts(app, client, build(db, 10))
    grown = {page: (small[page], large[page]) for page in PAGES if large[page] != small[page]}
    assert grown == {}, f"queries (small, tenfold) per page: {grown}"


# Queries per page at most (user and roles in one query, trainers without their roles):
# a page that needs more again has started loading something it did not before. The
# privacy notice gate asks nothing once the session remembers the sign-in was checked
# against the notice in force.
BUDGET = {
    "catalogue": 3,
    "course": 4,
    # user, the edition (lms.catalogue.shown: two), whether the reader is registered
    "course, signed in": 4,
    # user, the module with its edition, runs and trainers (one), its materials (their
    # files one more when it has any), its quizzes, its recordings
    "module": 5,
    # user, the schedule (lms.enrollment.schedule: two), open pre-tests, open
    # evaluations, certificates (and waiting positions, for a learner who waits)
    "my schedule": 6,
    "personal calendar": 4,  # and its version (lms.caching), read before rendering
}


def test_main_pages_stay_within_their_query_budget(app, client, db):
    found = counts(app, client, build(db, 2))
    over = {page: (found[page], limit) for page, limit in BUDGET.items() if found[page] > limit}
    assert over == {}, f"queries (made, budget) per page: {over}"
