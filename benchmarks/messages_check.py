"""Same answers before and after a change to the edition-wide completion or the audiences.

    .venv/bin/python -m benchmarks.messages_check enrich            # once, on a copy of the database
    .venv/bin/python -m benchmarks.messages_check dump before.json  # with the old code
    .venv/bin/python -m benchmarks.messages_check dump after.json   # with the new code
    .venv/bin/python -m benchmarks.messages_check compare before.json after.json

``dump`` writes, for the benchmark edition (``--slug``, default bench-10000): every
audience's user ids in every scope (the edition, each module, each run), the people each
message would reach, and every learner's ``edition_progress``, best marks, quiz outcomes
and open exceptions. ``compare`` says what differs (exit status 1 when anything does).

``enrich`` adds, deterministically, what the generated edition lacks so that every branch
of the rule is exercised: the evaluation required for the certificate with a form per
module (the learners with an id divisible by five answered all, others some; the form of the last module closed), open and
revoked completion exceptions, and submitted attempts still waiting for an essay's
grading and attempts in progress. It changes the database: run it on a copy
(``LMS_DATABASE_URL=sqlite:////tmp/copy.sqlite3``), never on a database other
benchmarks use.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from benchmarks.generate import benchmark_app

SOME_TIME = datetime(2023, 12, 1, tzinfo=UTC)


def _course(slug: str):
    from lms.catalogue.models import Course
    from lms.extensions import db

    return db.session.scalar(select(Course).where(Course.slug == slug))


def enrich(app, slug: str) -> None:
    from lms.completion.models import CompletionException
    from lms.enrollment.models import Registration
    from lms.evaluations.models import EvaluationForm, EvaluationInvitation, EvaluationSettings, FormKind
    from lms.extensions import db
    from lms.quizzes.models import Attempt, AttemptStatus, Quiz, QuizPurpose

    with app.app_context():
        course = _course(slug)
        modules = [module.id for module in course.modules]
        learners = sorted(
            db.session.scalars(select(Registration.user_id).where(Registration.course_id == course.id))
        )
        organiser = learners[0]
        db.session.add(EvaluationSettings(course_id=course.id, required_for_certificate=True))
        forms = {}
        for module_id in modules:
            closes = SOME_TIME if module_id == modules[-1] else None
            form = EvaluationForm(
                course_id=course.id, module_id=module_id, kind=FormKind.MODULE, closes_at=closes
            )
            db.session.add(form)
            db.session.flush()
            forms[module_id] = form.id
        invitations, exceptions, attempts = [], [], []
        quizzes = dict(db.session.execute(select(Quiz.module_id, Quiz.id).where(
            Quiz.module_id.in_(modules), Quiz.purpose == QuizPurpose.MODULE)).all())  # fmt: skip
        for user_id in learners:
            for module_id in modules:
                if (user_id * module_id) % 5 != 1:  # everything answered by one learner in five
                    invitations.append({"form_id": forms[module_id], "user_id": user_id, "answered": True,
                                        "invited_at": SOME_TIME})  # fmt: skip
                if (user_id * 7 + module_id) % 41 == 0:
                    revoked = SOME_TIME if user_id % 2 else None
                    exceptions.append({"user_id": user_id, "course_id": course.id, "module_id": module_id,
                                       "reason": "check", "recorded_by_id": organiser, "recorded_at": SOME_TIME,
                                       "revoked_at": revoked, "revoked_by_id": organiser if revoked else None,
                                       "revoke_reason": ""})  # fmt: skip
                if module_id in quizzes and (user_id + 3 * module_id) % 53 == 0:
                    status = AttemptStatus.AWAITING_GRADING if user_id % 2 else AttemptStatus.IN_PROGRESS
                    submitted = SOME_TIME if status == AttemptStatus.AWAITING_GRADING else None
                    attempts.append({"quiz_id": quizzes[module_id], "user_id": user_id, "number": 9,
                                     "status": status, "started_at": SOME_TIME - timedelta(hours=1),
                                     "submitted_at": submitted, "max_score": 10.0, "layout": {}})  # fmt: skip
        for model, rows in (
            (EvaluationInvitation, invitations),
            (CompletionException, exceptions),
            (Attempt, attempts),
        ):
            for start in range(0, len(rows), 2000):
                db.session.execute(insert(model), rows[start : start + 2000])
        db.session.commit()
        print(f"added {len(forms)} forms, {len(invitations)} answered invitations, "
              f"{len(exceptions)} exceptions, {len(attempts)} attempts")  # fmt: skip


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, set):
        return sorted(value)
    return value


def _pairs(found) -> list:
    """Sorted (learner, module) pairs from a set of pairs or a {learner: modules} map."""
    if isinstance(found, dict):
        return sorted((user_id, module_id) for user_id, modules in found.items() for module_id in modules)
    return sorted(found)


def dump(app, slug: str, path: str) -> None:
    from lms.completion import edition
    from lms.extensions import db
    from lms.messages.audiences import AUDIENCES, Scope, registered
    from lms.messages.recipients import reach_of

    with app.app_context():
        course = _course(slug)
        scopes = {"edition": Scope(course)}
        for module in course.modules:
            scopes[f"module {module.id}"] = Scope(course, module)
            for run in module.runs:
                scopes[f"run {run.id}"] = Scope(course, module, run)
        found: dict = {"audiences": {}, "reach": {}}
        for scope_name, scope in scopes.items():
            for name, chosen in AUDIENCES.items():
                found["audiences"][f"{scope_name} / {name}"] = sorted(chosen.select(scope))
                reach = reach_of(scope, name, chosen.concerns_seats)
                found["reach"][f"{scope_name} / {name}"] = [reach.selected, reach.opted_out, reach.recipients]
        people = sorted(registered(scopes["edition"]))
        evidence = edition.load_evidence(course)
        progress = edition.edition_progress(course, people, evidence)
        found["progress"] = {
            str(user_id): {k: _plain(v) for k, v in asdict(p).items()} for user_id, p in progress.items()
        }
        found["marks"] = {f"{u} {m}": {k: _plain(v) for k, v in asdict(mark).items()}
                          for (u, m), mark in sorted(edition.best_marks(course).items())}  # fmt: skip
        found["outcomes"] = {f"{u} {m}": {k: _plain(v) for k, v in asdict(outcome).items()}
                             for (u, m), outcome in sorted(edition.quiz_outcomes(course).items())}  # fmt: skip
        found["quizzes"] = sorted(evidence.quizzes.items())
        found["exceptions"] = _pairs(evidence.exceptions)
        found["evaluation_forms"] = sorted(evidence.evaluation_forms.items())
        found["evaluated"] = _pairs(evidence.evaluated)
        some = people[::7]
        found["progress of some"] = {
            str(user_id): {k: _plain(v) for k, v in asdict(p).items()}
            for user_id, p in edition.edition_progress(
                course, some, edition.load_evidence(course, some)
            ).items()
        }
        db.session.rollback()
    with open(path, "w") as out:
        json.dump(found, out, sort_keys=True)
    sizes = {key: len(ids) for key, ids in found["audiences"].items() if key.startswith("edition")}
    print(
        f"wrote {path}: {len(found['audiences'])} audiences × scopes, {len(people)} learners; edition: {sizes}"
    )


def compare(before_path: str, after_path: str) -> int:
    with open(before_path) as one, open(after_path) as two:
        before, after = json.load(one), json.load(two)
    differences = 0
    for part in sorted(set(before) | set(after)):
        left, right = before.get(part), after.get(part)
        if left == right:
            print(f"same: {part} ({len(left)} entries)")
            continue
        differences += 1
        if isinstance(left, dict) and isinstance(right, dict):
            keys = [key for key in sorted(set(left) | set(right)) if left.get(key) != right.get(key)]
            print(f"DIFFERENT: {part}: {len(keys)} entries, e.g. {keys[:5]}")
        else:
            print(f"DIFFERENT: {part}")
    print("identical" if not differences else f"{differences} parts differ")
    return 1 if differences else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["enrich", "dump", "compare"])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--slug", default="bench-10000")
    args = parser.parse_args(argv)
    if args.action == "compare":
        return compare(*args.paths)
    app = benchmark_app()
    if args.action == "enrich":
        enrich(app, args.slug)
    else:
        dump(app, args.slug, args.paths[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
