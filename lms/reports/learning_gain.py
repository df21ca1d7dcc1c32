"""Learning gain (Kirkpatrick level 2): each module's pre-test against its quiz.

A learner counts for a module when they have a graded pre-test and a graded quiz
attempt there. Their "before" is their first graded pre-test attempt (what they knew
before any feedback), their "after" their best quiz attempt (the score that counts
for completion). Both are measured against the module quiz's pass mark, the same bar
before and after. The course figures pool every learner-module pair; breakdowns by
organisation type, province and gender follow the small-group rule
(``lms.reports.small_groups``).

Everything is read in three queries (quizzes, attempts, learners) whatever the size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from lms.accounts.choices import GENDERS, ORGANISATION_TYPES, PROVINCES
from lms.catalogue.models import Course, Module
from lms.extensions import db
from lms.i18n import format_number
from lms.quizzes.models import Attempt, AttemptStatus, Quiz, QuizPurpose
from lms.reports import charts, data
from lms.reports.naming import labels, module_name
from lms.reports.small_groups import shown_count, too_small
from lms.spreadsheets import Table

# (profile field, its choices, the breakdown's name)
BREAKDOWNS = (
    ("organisation_type", ORGANISATION_TYPES, _l("Type of organisation")),
    ("province", PROVINCES, _l("Province")),
    ("gender", GENDERS, _l("Gender")),
)


@dataclass(frozen=True)
class Pair:
    """One learner's before and after in one module."""

    user_id: int
    module_id: int
    before: float
    after: float
    pass_mark: int

    @property
    def gain(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class Gain:
    """The figures of one group; ``hidden`` when it is too small to show on its own."""

    learners: int
    mean_before: float | None
    mean_after: float | None
    mean_gain: float | None
    passed_before: float | None  # share (%) reaching the pass mark
    passed_after: float | None

    @property
    def hidden(self) -> bool:
        return too_small(self.learners)

    @property
    def shown_learners(self) -> int | str:
        return shown_count(self.learners)


@dataclass(frozen=True)
class Row:
    scope: str  # "Course" or "Module 2"
    breakdown: str  # "" for the whole scope, else e.g. "Province"
    group: str  # "" for the whole scope, else e.g. "Hai Phong"
    gain: Gain


@dataclass(frozen=True)
class LearningGain:
    course: Course
    modules: list[Module]  # the modules with both a pre-test and a quiz
    summary: list[Row]  # the course, then each module
    breakdowns: dict[str, list[Row]]  # by scope key ("course" or a module key)

    @property
    def rows(self) -> list[Row]:
        return self.summary + self.breakdown_rows

    @property
    def breakdown_rows(self) -> list[Row]:
        return [row for rows in self.breakdowns.values() for row in rows]

    def chart(self) -> Markup:
        return chart(self)

    def figure_header(self) -> list[str]:
        """The names of the figure columns (after scope, breakdown and group)."""
        return header()[3:]


def figures(pairs: list[Pair]) -> Gain:
    """Means and pass shares of a group of pairs; learners are counted once."""
    learners = len({pair.user_id for pair in pairs})
    if not pairs or too_small(learners):
        return Gain(learners, None, None, None, None, None)
    count = len(pairs)
    return Gain(
        learners,
        round(sum(pair.before for pair in pairs) / count, 1),
        round(sum(pair.after for pair in pairs) / count, 1),
        round(sum(pair.gain for pair in pairs) / count, 1),
        round(100 * sum(pair.before >= pair.pass_mark for pair in pairs) / count, 1),
        round(100 * sum(pair.after >= pair.pass_mark for pair in pairs) / count, 1),
    )


def load_pairs(course: Course) -> tuple[list[Module], list[Pair]]:
    """The modules that have both a pre-test and a quiz, and every learner's pairs there."""
    quizzes = db.session.execute(
        select(Quiz.id, Quiz.module_id, Quiz.purpose, Quiz.pass_mark)
        .join(Module, Module.id == Quiz.module_id)
        .where(Module.course_id == course.id)
    ).all()
    purpose_of = {quiz_id: (module_id, purpose) for quiz_id, module_id, purpose, _mark in quizzes}
    pass_marks = {
        module_id: mark for _id, module_id, purpose, mark in quizzes if purpose == QuizPurpose.MODULE
    }
    with_pretest = {module_id for _id, module_id, purpose, _mark in quizzes if purpose == QuizPurpose.PRETEST}
    modules = [module for module in course.modules if module.id in pass_marks and module.id in with_pretest]
    attempts = db.session.execute(
        select(Attempt.user_id, Attempt.quiz_id, Attempt.number, Attempt.percent)
        .where(
            Attempt.quiz_id.in_(list(purpose_of) or [0]),
            Attempt.status == AttemptStatus.GRADED,
            Attempt.percent.is_not(None),
        )
        .order_by(Attempt.user_id, Attempt.quiz_id, Attempt.number)
    ).all()
    before: dict[tuple[int, int], float] = {}
    after: dict[tuple[int, int], float] = {}
    for user_id, quiz_id, _number, percent in attempts:
        module_id, purpose = purpose_of[quiz_id]
        key = (user_id, module_id)
        if purpose == QuizPurpose.PRETEST:
            before.setdefault(key, percent)  # the first graded attempt: ordered by number
        else:
            after[key] = max(after.get(key, percent), percent)
    wanted = {module.id for module in modules}
    pairs = [
        Pair(user_id, module_id, before[(user_id, module_id)], score, pass_marks[module_id])
        for (user_id, module_id), score in sorted(after.items())
        if module_id in wanted and (user_id, module_id) in before
    ]
    return modules, pairs


def build(course: Course, module_keys: Iterable[str] | None = None) -> LearningGain:
    """The report; ``module_keys`` limits it to those modules (a trainer's), without the
    course figures."""
    modules, pairs = load_pairs(course)
    profiles = {learner.user_id: learner for learner in data.learners(course, include_cancelled=True)}
    pairs = [pair for pair in pairs if pair.user_id in profiles]
    whole_course = module_keys is None
    if not whole_course:
        keys = set(module_keys)
        modules = [module for module in modules if module.key in keys]
    by_module: dict[int, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_module[pair.module_id].append(pair)
    summary, breakdowns = [], {}
    if whole_course:
        scope = _("Course")
        summary.append(Row(scope, "", "", figures(pairs)))
        breakdowns["course"] = _breakdowns(scope, pairs, profiles)
    for module in modules:
        scope = module_name(module)
        summary.append(Row(scope, "", "", figures(by_module[module.id])))
        breakdowns[module.key] = _breakdowns(scope, by_module[module.id], profiles)
    return LearningGain(course, modules, summary, breakdowns)


def _breakdowns(scope: str, pairs: list[Pair], profiles: dict) -> list[Row]:
    rows = []
    for field, choices, name in BREAKDOWNS:
        names = labels(choices)
        groups: dict[str, list[Pair]] = defaultdict(list)
        for pair in pairs:
            groups[getattr(profiles[pair.user_id], field)].append(pair)
        ordered = [code for code, _label in choices if code in groups]
        ordered += sorted(code for code in groups if code not in names)  # codes no longer offered
        for code in ordered:
            rows.append(Row(scope, str(name), names.get(code, code or _("Not given")), figures(groups[code])))
    return rows


def header() -> list[str]:
    return [
        _("Scope"), _("Breakdown"), _("Group"), _("Learners with both scores"), _("Mean pre-test (%)"),
        _("Mean quiz (%)"), _("Mean gain (points)"), _("Reached the pass mark before (%)"),
        _("Reached the pass mark after (%)"),
    ]  # fmt: skip


def cells(row: Row) -> list:
    gain = row.gain
    return [row.scope, row.breakdown, row.group, gain.shown_learners, gain.mean_before, gain.mean_after,
            gain.mean_gain, gain.passed_before, gain.passed_after]  # fmt: skip


def table(report: LearningGain, title: str | None = None, rows: list[Row] | None = None) -> Table:
    """The report's rows (all by default), small groups as "fewer than 5" with no figures."""
    chosen = report.rows if rows is None else rows
    return Table(title or _("Learning gain"), header(), [cells(row) for row in chosen])


def chart(report: LearningGain) -> Markup:
    """Mean pre-test and quiz scores of each scope, out of 100."""
    bars = []
    for row in report.summary:
        if row.gain.mean_before is None:
            continue
        for label, value in ((_("before"), row.gain.mean_before), (_("after"), row.gain.mean_after)):
            text = f"{format_number(value)} %"
            bars.append(charts.Bar(f"{row.scope} · {label}", value, limit=100, text=text))
    title = _("Learning gain")
    description = _("Mean pre-test score (before) and mean quiz score (after), in per cent.")
    return charts.bar_chart("chart-learning-gain", title, description, bars)


def export(course: Course) -> Table:
    """The learning-gain export (``lms export learning-gain``, the exports page)."""
    return table(build(course))
