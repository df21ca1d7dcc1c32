"""The figures of an edition's evaluations, in a fixed number of queries whatever its
size: response rates per module and run, each item's distribution (and a rating's
mean), the free texts, and breakdowns by organisation type, province and gender.

Every figure computed from a group of answers goes through ``lms.disclosure``: a group of
fewer than five is "fewer than 5", its distribution, mean and texts left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from lms.attendance.models import Attendance
from lms.catalogue.models import Course, Module, Run
from lms.disclosure import is_small
from lms.enrollment.models import Registration, RegistrationStatus
from lms.evaluations.answering import ATTENDED
from lms.evaluations.forms_setup import forms_of
from lms.evaluations.models import (
    EvaluationAnswer,
    EvaluationForm,
    EvaluationInvitation,
    EvaluationItem,
    EvaluationResponse,
    ItemKind,
)
from lms.extensions import db

DIMENSIONS = ("organisation_type", "province", "gender")


@dataclass
class TextAnswer:
    id: str
    text: str
    hidden: bool


@dataclass
class ItemResult:
    item: EvaluationItem
    answers: int = 0
    counts: list[int] = field(default_factory=list)  # per rating point or option
    mean: float | None = None  # ratings only
    texts: list[TextAnswer] = field(default_factory=list)
    # {dimension: {group code: (answers, mean)}} for ratings
    breakdowns: dict[str, dict[str, tuple[int, float | None]]] = field(default_factory=dict)

    @property
    def small(self) -> bool:
        return is_small(self.answers)


@dataclass
class RunRate:
    run: Run
    eligible: int  # present or late in the run, once it ended
    answered: int


@dataclass
class FormResult:
    form: EvaluationForm
    module: Module | None
    eligible: int  # learners the form opened for (follow-up: invited)
    responses: int
    runs: list[RunRate]
    items: list[ItemResult]
    # {dimension: {group code: responses}}
    groups: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def small(self) -> bool:
        return is_small(self.responses)

    @property
    def rate(self) -> float:
        return round(100 * self.responses / self.eligible, 1) if self.eligible else 0.0


def _attended(course: Course):
    return and_(
        Attendance.status.in_(ATTENDED),
        Registration.course_id == course.id,
        Registration.user_id == Attendance.user_id,
        Registration.status == RegistrationStatus.ACTIVE,
    )


def eligible_per_run(course: Course, now) -> dict[int, int]:
    """Learners present or late in each ended run."""
    return _eligible_by(Run.id, course, now)


def eligible_per_module(course: Course, now) -> dict[int, int]:
    """Learners present or late in any ended run of the module (counted once)."""
    return _eligible_by(Run.module_id, course, now)


def _eligible_by(key, course: Course, now) -> dict[int, int]:
    rows = db.session.execute(
        select(key, func.count(func.distinct(Attendance.user_id)))
        .join(Attendance, Attendance.run_id == Run.id)
        .join(Module, Module.id == Run.module_id)
        .join(Registration, _attended(course))
        .where(Module.course_id == course.id, Run.ends_at <= now)
        .group_by(key)
    )
    return dict(rows.all())


def answered_per_run(course: Course) -> dict[int, int]:
    """Of the learners attending each run, how many answered the module's evaluation."""
    rows = db.session.execute(
        select(Run.id, func.count(func.distinct(EvaluationInvitation.user_id)))
        .join(EvaluationForm, EvaluationForm.module_id == Run.module_id)
        .join(
            EvaluationInvitation,
            and_(EvaluationInvitation.form_id == EvaluationForm.id, EvaluationInvitation.answered.is_(True)),
        )
        .join(
            Attendance,
            and_(
                Attendance.run_id == Run.id,
                Attendance.user_id == EvaluationInvitation.user_id,
                Attendance.status.in_(ATTENDED),
            ),
        )
        .where(EvaluationForm.course_id == course.id)
        .group_by(Run.id)
    )
    return dict(rows.all())


def invited_per_form(course: Course) -> dict[int, int]:
    rows = db.session.execute(
        select(EvaluationInvitation.form_id, func.count())
        .join(EvaluationForm, EvaluationForm.id == EvaluationInvitation.form_id)
        .where(EvaluationForm.course_id == course.id, EvaluationInvitation.invited_at.is_not(None))
        .group_by(EvaluationInvitation.form_id)
    )
    return dict(rows.all())


def _in_course(course: Course):
    return EvaluationResponse.form_id.in_(
        select(EvaluationForm.id).where(EvaluationForm.course_id == course.id)
    )


def responses_per_group(course: Course) -> dict[str, dict[tuple[int, str], int]]:
    """{dimension: {(form, group code): responses}}, with "" for the whole form."""
    table: dict[str, dict[tuple[int, str], int]] = {}
    totals = db.session.execute(
        select(EvaluationResponse.form_id, func.count())
        .where(_in_course(course))
        .group_by(EvaluationResponse.form_id)
    )
    table[""] = {(form_id, ""): count for form_id, count in totals}
    for dimension in DIMENSIONS:
        column = getattr(EvaluationResponse, dimension)
        rows = db.session.execute(
            select(EvaluationResponse.form_id, column, func.count())
            .where(_in_course(course))
            .group_by(EvaluationResponse.form_id, column)
        )
        table[dimension] = {(form_id, code): count for form_id, code, count in rows}
    return table


def rating_counts(course: Course) -> dict[tuple[int, int], int]:
    """{(item, rating): answers}."""
    rows = db.session.execute(
        select(EvaluationAnswer.item_id, EvaluationAnswer.rating, func.count())
        .join(EvaluationResponse, EvaluationResponse.id == EvaluationAnswer.response_id)
        .where(_in_course(course), EvaluationAnswer.rating.is_not(None))
        .group_by(EvaluationAnswer.item_id, EvaluationAnswer.rating)
    )
    return {(item_id, rating): count for item_id, rating, count in rows}


def rating_breakdowns(course: Course) -> dict[str, dict[tuple[int, str], tuple[int, float]]]:
    """{dimension: {(item, group code): (answers, mean rating)}}."""
    table = {}
    for dimension in DIMENSIONS:
        column = getattr(EvaluationResponse, dimension)
        rows = db.session.execute(
            select(EvaluationAnswer.item_id, column, func.count(), func.avg(EvaluationAnswer.rating))
            .join(EvaluationResponse, EvaluationResponse.id == EvaluationAnswer.response_id)
            .where(_in_course(course), EvaluationAnswer.rating.is_not(None))
            .group_by(EvaluationAnswer.item_id, column)
        )
        table[dimension] = {(item_id, code): (count, float(mean)) for item_id, code, count, mean in rows}
    return table


def choice_answers(course: Course) -> list[tuple[int, list]]:
    return db.session.execute(
        select(EvaluationAnswer.item_id, EvaluationAnswer.choices)
        .join(EvaluationResponse, EvaluationResponse.id == EvaluationAnswer.response_id)
        .where(_in_course(course), EvaluationAnswer.choices.is_not(None))
    ).all()


def text_answers(course: Course) -> dict[int, list[TextAnswer]]:
    """Free texts by item, in the order of their random keys (never of arrival)."""
    rows = db.session.execute(
        select(EvaluationAnswer.item_id, EvaluationAnswer.id, EvaluationAnswer.text, EvaluationAnswer.hidden)
        .join(EvaluationResponse, EvaluationResponse.id == EvaluationAnswer.response_id)
        .where(_in_course(course), EvaluationAnswer.text.is_not(None))
        .order_by(EvaluationAnswer.id)
    )
    texts: dict[int, list[TextAnswer]] = defaultdict(list)
    for item_id, answer_id, text, hidden in rows:
        texts[item_id].append(TextAnswer(answer_id, text, hidden))
    return texts


def _item_result(item, ratings, breakdowns, choices, texts) -> ItemResult:
    result = ItemResult(item)
    if item.kind == ItemKind.RATING:
        result.counts = [ratings.get((item.id, point), 0) for point in range(1, 6)]
        result.answers = sum(result.counts)
        if result.answers:
            result.mean = round(
                sum(p * c for p, c in zip(range(1, 6), result.counts, strict=True)) / result.answers, 2
            )
        for dimension, table in breakdowns.items():
            result.breakdowns[dimension] = {
                code: (count, round(mean, 2))
                for (item_id, code), (count, mean) in table.items()
                if item_id == item.id
            }
    elif item.kind in (ItemKind.SINGLE, ItemKind.MULTIPLE):
        tally = Counter()
        for item_id, chosen in choices:
            if item_id == item.id:
                result.answers += 1
                tally.update(chosen or [])
        result.counts = [tally.get(index, 0) for index in range(len(item.options))]
    else:
        result.texts = texts.get(item.id, [])
        result.answers = len(result.texts)
    return result


def edition_results(course: Course, now, module_ids: set[int] | None = None) -> list[FormResult]:
    """Every form of the edition (only the modules of ``module_ids`` when given: a
    trainer's), with its figures."""
    forms = [
        form for form in forms_of(course)
        if module_ids is None or (form.module_id in module_ids)
    ]  # fmt: skip
    if not forms:
        return []
    modules = {module.id: module for module in course.modules}
    per_run, per_module = eligible_per_run(course, now), eligible_per_module(course, now)
    answered, invited = answered_per_run(course), invited_per_form(course)
    groups = responses_per_group(course)
    ratings, breakdowns = rating_counts(course), rating_breakdowns(course)
    choices, texts = choice_answers(course), text_answers(course)
    results = []
    for form in forms:
        module = modules.get(form.module_id)
        runs = (
            [RunRate(run, per_run.get(run.id, 0), answered.get(run.id, 0)) for run in module.runs]
            if module
            else []
        )
        results.append(
            FormResult(
                form=form,
                module=module,
                eligible=per_module.get(module.id, 0) if module else invited.get(form.id, 0),
                responses=groups[""].get((form.id, ""), 0),
                runs=runs,
                items=[_item_result(item, ratings, breakdowns, choices, texts) for item in form.items],
                groups={
                    dimension: {
                        code: count
                        for (form_id, code), count in groups[dimension].items()
                        if form_id == form.id
                    }
                    for dimension in DIMENSIONS
                },
            )
        )
    return results
