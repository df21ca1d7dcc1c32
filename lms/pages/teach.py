"""Teaching: the trainer's home. Their upcoming and past runs with seats taken, each
run's attendance sheet (and check-in code while it is on), the materials and quizzes
of the modules they teach, the essays waiting for grading, and the messages to their
runs. A page above the domains it shows: catalogue, attendance, quizzes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import Role, User
from lms.attendance import checkin
from lms.catalogue.models import Course, Module, Run, run_trainer
from lms.db import utcnow
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptStatus, Quiz

bp = Blueprint("teach", __name__)


@dataclass(frozen=True)
class Teaching:
    upcoming: list[Run]
    past: list[Run]
    modules: list[Module]  # the modules of their runs, by edition and position
    courses: list[Course]
    quizzes: dict[int, Quiz]  # module id -> quiz
    essays: dict[int, int]  # quiz id -> attempts waiting for grading
    codes: dict[int, str]  # run id -> check-in code, for the runs on now


def runs_taught_by(user: User) -> list[Run]:
    return list(
        db.session.scalars(
            select(Run)
            .join(run_trainer, run_trainer.c.run_id == Run.id)
            .where(run_trainer.c.user_id == user.id)
            .options(joinedload(Run.module).joinedload(Module.course))
            .order_by(Run.starts_at, Run.id)
        ).unique()
    )


def essays_waiting(quiz_ids: list[int]) -> dict[int, int]:
    if not quiz_ids:
        return {}
    rows = db.session.execute(
        select(Attempt.quiz_id, func.count(Attempt.id))
        .where(Attempt.quiz_id.in_(quiz_ids), Attempt.status == AttemptStatus.AWAITING_GRADING)
        .group_by(Attempt.quiz_id)
    )
    return dict(rows.all())


def teaching_of(user: User, now: datetime) -> Teaching:
    runs = runs_taught_by(user)
    modules = sorted({run.module for run in runs}, key=lambda m: (m.course_id, m.position))
    quizzes = (
        {
            quiz.module_id: quiz
            for quiz in db.session.scalars(select(Quiz).where(Quiz.module_id.in_([m.id for m in modules])))
        }
        if modules
        else {}
    )
    on_now = [run for run in runs if checkin.is_open(run, now)]
    generations = checkin.generations([run.id for run in on_now]) if on_now else {}
    return Teaching(
        upcoming=[run for run in runs if run.ends_at >= now],
        past=sorted((run for run in runs if run.ends_at < now), key=lambda run: run.starts_at, reverse=True),
        modules=modules,
        courses=list(dict.fromkeys(module.course for module in modules)),
        quizzes=quizzes,
        essays=essays_waiting([quiz.id for quiz in quizzes.values()]),
        codes={run.id: checkin.current_code(run, now, generations[run.id]) for run in on_now},
    )


@bp.get("/teach")
@login_required
def home():
    if not (current_user.has_role(Role.TRAINER) or current_user.has_role(Role.ORGANISER)):
        abort(403)
    now = utcnow()
    return render_template("pages/teach.html", teaching=teaching_of(current_user, now), now=now)
