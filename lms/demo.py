"""The demo: the real 2023 course lived in by about 150 learners (lms.demo_learners),
an edition of it open for registration today with the demo learner holding a seat,
and one account per role. Running it again changes nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from lms.accounts.models import Role
from lms.accounts.services import create_user, find_user_by_email, hash_password
from lms.catalogue.models import Course
from lms.config import ROOT
from lms.consent.models import How, Purpose
from lms.consent.services import give as give_consent
from lms.consent.shipped import publish_shipped_notice
from lms.course_folders import apply_course, load_course_folder, read_course_folder
from lms.db import utcnow
from lms.deadlines import last_instant
from lms.demo_evaluations import answer_evaluations
from lms.demo_learners import PAST_EDITION_EXTRAS, SEED, populate_past_edition, run_extras
from lms.enrollment.services import Pick, is_registered, register
from lms.evaluations.forms_setup import apply_template
from lms.extensions import db

CONTENT = ROOT / "content" / "eip-2023"
DEMO_SLUG = "eip-demo"
DEMO_PASSWORD = "eip-demo-2023"  # noqa: S105 (published demo accounts, local only)  # nosec B105

DEMO_ACCOUNTS = [
    {
        "email": "organiser@demo.example.org",
        "full_name": "Đỗ Minh Châu",
        "roles": (Role.ORGANISER,),
        "organisation": "Vụ Quản lý các khu kinh tế",
        "organisation_type": "national_government",
        "province": "ha-noi",
        "gender": "female",
        "locale": "vi",
    },
    {
        "email": "learner@demo.example.org",
        "full_name": "Phạm Thu Hương",
        "roles": (Role.LEARNER,),
        "organisation": "Ban quản lý các khu công nghiệp Hải Phòng",
        "organisation_type": "park_management_board",
        "job_title": "Chuyên viên môi trường",
        "province": "hai-phong",
        "gender": "female",
        "locale": "vi",
    },
    {
        "email": "learner.en@demo.example.org",
        "full_name": "Daniel Weber",
        "roles": (Role.LEARNER,),
        "organisation": "Circular Industry Consulting",
        "organisation_type": "consultancy",
        "province": "abroad",
        "gender": "male",
        "locale": "en",
        "timezone": "Europe/Vienna",
    },
]
# The trainer named first in the course content gets a password, so the demo has a
# trainer who can sign in.
DEMO_TRAINER = "lan.nguyen@trainers.example.org"

# The past edition's learners answered their evaluations (lms.demo_evaluations).
PAST_EDITION_EXTRAS["evaluations"] = answer_evaluations


def load_demo(now: datetime | None = None) -> list[str]:
    now = now or utcnow()
    lines = [f"course eip-2023: {'created' if load_course_folder(CONTENT).created else 'up to date'}"]
    if publish_shipped_notice() is not None:
        lines.append("privacy notice: version 1 published")
    lines.append(f"course {DEMO_SLUG}: {create_demo_edition(now)}")
    lines.append(f"evaluation forms added: {add_evaluation_forms()}")
    lines.extend(ensure_demo_accounts())
    learner = DEMO_ACCOUNTS[1]["email"]
    lines.append(
        f"course eip-2023 learners: {populate_past_edition('eip-2023', SEED, DEMO_TRAINER, learner)}"
    )
    lines.extend(run_extras("eip-2023", SEED))
    lines.append(f"seat in {DEMO_SLUG} for {learner}: {seat_demo_learner(learner, now)}")
    db.session.commit()
    lines.append(f"demo accounts use the password: {DEMO_PASSWORD}")
    return lines


def create_demo_edition(now: datetime) -> str:
    """The 2023 course again, open for registration now, first run about three weeks
    ahead on the same weekday and time of day. Left alone once it exists, so that
    running the demo on another day does not reschedule anyone's sessions."""
    if db.session.scalar(select(Course.id).where(Course.slug == DEMO_SLUG)) is not None:
        return "exists, left as it is"
    spec = read_course_folder(CONTENT)
    tz = spec.first_start.tzinfo
    first_local = spec.first_start.astimezone(tz)
    target_day = (now.astimezone(tz) + timedelta(days=21)).date()
    weeks = -(-(target_day - first_local.date()).days // 7)  # round up to whole weeks
    shift = timedelta(weeks=weeks)
    opens = now - timedelta(days=7)
    closes = last_instant(
        datetime.combine(first_local.date() + shift - timedelta(days=2), time(23, 59), tzinfo=tz)
    )
    demo = spec.rescheduled(
        DEMO_SLUG,
        title_suffix={"vi": " (bản demo)", "en": " (demo edition)"},
        shift=shift,
        opens=opens,
        closes=closes,
    )
    course, _ = apply_course(demo)
    for module in course.modules:
        for run in module.runs:
            run.capacity = 25  # small, so the demo shows seats filling up
    return "created"


def add_evaluation_forms() -> int:
    """The standard evaluation forms on both editions (only where missing: idempotent)."""
    courses = db.session.scalars(select(Course).where(Course.slug.in_(["eip-2023", DEMO_SLUG])))
    return sum(apply_template(course, None) for course in courses)


def ensure_demo_accounts() -> list[str]:
    lines = []
    for account in DEMO_ACCOUNTS:
        fields = dict(account)
        email = fields.pop("email")
        if find_user_by_email(email) is None:
            user = create_user(email, fields.pop("full_name"), password=DEMO_PASSWORD, **fields)
            if user.has_role(Role.LEARNER):  # as if they had signed up and agreed to take part
                give_consent(user, [Purpose.COURSE], How.SIGNUP)
        lines.append(f"  {', '.join(account['roles']):10} {email}")
    trainer = find_user_by_email(DEMO_TRAINER)
    if trainer is not None and trainer.password_hash is None:
        trainer.password_hash = hash_password(DEMO_PASSWORD)
    lines.append(f"  {'trainer':10} {DEMO_TRAINER}")
    return lines


def seat_demo_learner(email: str, now: datetime) -> str:
    """The demo learner registered in the open demo edition, first run of every module."""
    user = find_user_by_email(email)
    course = db.session.scalar(select(Course).where(Course.slug == DEMO_SLUG))
    if user is None or course is None:
        return "missing"
    if is_registered(user, course.id):
        return "registered already"
    picks = {module.id: Pick(module.runs[0].id) for module in course.modules if module.runs}
    register(user, course, picks, accepted_privacy=True, now=now)
    return "registered"
