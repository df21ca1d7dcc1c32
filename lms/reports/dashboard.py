"""The donor dashboard of one edition: figures, their charts and their tables.

Everything is computed from the rows of ``lms.reports.data`` in a fixed number of
queries; each figure carries the table shown under its chart, which is also one sheet
of the XLSX download.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from markupsafe import Markup

from lms.accounts.choices import GENDERS, ORGANISATION_TYPES, PROVINCES
from lms.attendance.models import AttendanceStatus
from lms.catalogue.models import Course
from lms.completion import edition
from lms.enrollment.services import waiting_counts
from lms.i18n import format_number, tr_text
from lms.reports import charts, data, learning_gain
from lms.reports.exports import ATTENDANCE_LABELS, labels, module_name, run_name
from lms.spreadsheets import Table

ATTENDANCE_ORDER = [
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.ABSENT,
    AttendanceStatus.EXCUSED,
]


@dataclass(frozen=True)
class Figure:
    key: str  # the HTML id
    title: str
    chart: Markup
    table: Table
    note: str = ""


@dataclass(frozen=True)
class Dashboard:
    course: Course
    registered: int
    figures: list[Figure]
    sheets: list[Table] = field(default_factory=list)  # more sheets of the XLSX, not shown

    def workbook(self) -> list[Table]:
        return [figure.table for figure in self.figures] + self.sheets


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def percent_text(part: int, whole: int) -> str:
    return f"{format_number(percent(part, whole))} %"


def build(course: Course) -> Dashboard:
    learners = data.learners(course)
    user_ids = [learner.user_id for learner in learners]
    outcomes = edition.quiz_outcomes(course)
    evidence = edition.load_evidence(course, outcomes=outcomes)
    quizzes = evidence.quizzes
    progress = edition.edition_progress(course, user_ids, evidence)
    certificates = data.valid_certificates(course)
    figures = [
        seats_figure(course, waiting_counts(course)),
        funnel_figure(learners, progress, quizzes, certificates),
        attendance_figure(course, data.attendance_per_run(course)),
        quiz_figure(course, learners, outcomes, quizzes),
        breakdown_figure("organisation-types", _("Participants by type of organisation"), _("Type of organisation"),
                         ORGANISATION_TYPES, [learner.organisation_type for learner in learners]),
        breakdown_figure("provinces", _("Participants by province"), _("Province"), PROVINCES,
                         [learner.province for learner in learners]),
        breakdown_figure("genders", _("Participants by gender"), _("Gender"), GENDERS,
                         [learner.gender for learner in learners]),
    ]  # fmt: skip
    gain = learning_gain.build(course)
    sheets = []
    if gain.modules:
        figures.append(learning_gain_figure(gain))
        sheets.append(learning_gain.table(gain, _("Learning gain by group"), gain.breakdown_rows))
    return Dashboard(course, len(learners), figures, sheets)


def learning_gain_figure(gain: learning_gain.LearningGain) -> Figure:
    """The course and each module; the groups are on the learning-gain page and in the XLSX."""
    table = learning_gain.table(gain, _("Learning gain"), gain.summary)
    note = _("Groups of fewer than 5 learners are not shown on their own.")
    return Figure("learning-gain", _("Learning gain"), learning_gain.chart(gain), table, note)


def seats_figure(course: Course, waiting: dict[int, int]) -> Figure:
    header = [_("Module"), _("Run"), _("Seats taken"), _("Capacity"), _("Waiting"), _("Full (%)")]
    rows, bars = [], []
    for module in course.modules:
        for run in module.runs:
            name = f"{module_name(module)} · {tr_text(run.label) or run.key}"
            rows.append([module_name(module), run_name(run, course), run.taken, run.capacity,
                         waiting.get(run.id, 0), percent(run.taken, run.capacity)])  # fmt: skip
            text = _(
                "%(taken)s of %(capacity)s",
                taken=format_number(run.taken),
                capacity=format_number(run.capacity),
            )
            bars.append(charts.Bar(name, run.taken, limit=run.capacity, text=text))
    title = _("Seats taken per run")
    chart = charts.bar_chart("chart-seats", title, _("Seats taken in each run against its capacity."), bars)
    return Figure("seats", title, chart, Table(_("Seats"), header, rows))


def funnel_figure(learners, progress, quizzes: dict[int, int], certificates: dict[int, str]) -> Figure:
    registered = len(learners)
    attended = sum(1 for learner in learners if progress[learner.user_id].attended)
    stages = [(_("Registered"), registered), (_("Attended at least one module"), attended)]
    if quizzes:
        passed = sum(1 for learner in learners if set(quizzes) <= progress[learner.user_id].passed)
        stages.append((_("Passed every quiz"), passed))
    certified = sum(1 for learner in learners if learner.user_id in certificates)
    stages.append((_("Certified"), certified))
    header = [_("Stage"), _("People"), _("Share of registered (%)")]
    rows = [[name, count, percent(count, registered)] for name, count in stages]
    bars = [
        charts.Bar(name, count, text=f"{format_number(count)} ({percent_text(count, registered)})")
        for name, count in stages
    ]
    title = _("From registration to certificate")
    chart = charts.bar_chart(
        "chart-funnel", title, _("How many registered learners reached each stage."), bars
    )
    return Figure("funnel", title, chart, Table(_("Funnel"), header, rows))


def attendance_figure(course: Course, counts: dict[int, dict[str, int]]) -> Figure:
    statuses = labels(ATTENDANCE_LABELS)
    legend = [statuses[status] for status in ATTENDANCE_ORDER] + [_("Not marked")]
    header = [_("Module"), _("Run"), *legend]
    rows, stacks = [], []
    for module in course.modules:
        for run in module.runs:
            per_status = counts.get(run.id, {})
            values = [per_status.get(status, 0) for status in ATTENDANCE_ORDER] + [
                per_status.get("unmarked", 0)
            ]
            rows.append([module_name(module), run_name(run, course), *values])
            stacks.append(charts.Stack(f"{module_name(module)} · {tr_text(run.label) or run.key}", values))
    title = _("Attendance per run")
    description = _("For each run, how many learners were present, late, absent, excused or not marked yet.")
    chart = charts.stacked_chart("chart-attendance", title, description, legend, stacks)
    return Figure("attendance", title, chart, Table(_("Attendance"), header, rows))


def quiz_figure(course: Course, learners, outcomes, quizzes: dict[int, int]) -> Figure:
    active = {learner.user_id for learner in learners}
    header = [_("Module"), _("Took the quiz"), _("Passed"), _("Pass rate (%)")]
    rows, bars = [], []
    for module in course.modules:
        if module.id not in quizzes:
            continue
        took = passed = 0
        for (user_id, module_id), outcome in outcomes.items():
            if module_id == module.id and user_id in active:
                took += 1
                passed += outcome.passed
        rows.append([module_name(module), took, passed, percent(passed, took)])
        text = f"{percent_text(passed, took)} ({format_number(passed)}/{format_number(took)})"
        bars.append(charts.Bar(module_name(module), percent(passed, took), limit=100, text=text))
    title = _("Quiz pass rates")
    description = _("Share of the learners who took each module's quiz and passed it.")
    chart = charts.bar_chart("chart-quizzes", title, description, bars)
    return Figure("quizzes", title, chart, Table(_("Quizzes"), header, rows))


def breakdown_figure(key: str, title: str, column: str, choices, values: list[str]) -> Figure:
    """Participants counted by one profile field, in the order of its list; empty groups left out."""
    counts = Counter(values)
    names = labels(choices)
    ordered = [code for code, _label in choices if counts.get(code)]
    ordered += sorted(code for code in counts if code not in names)  # codes no longer offered
    total = len(values)
    header = [column, _("People"), _("Share (%)")]
    rows = [
        [names.get(code, code or _("Not given")), counts[code], percent(counts[code], total)]
        for code in ordered
    ]
    bars = [
        charts.Bar(row[0], row[1], text=f"{format_number(row[1])} ({percent_text(row[1], total)})")
        for row in rows
    ]
    chart = charts.bar_chart(f"chart-{key}", title, _("Registered learners counted by %(field)s.", field=column.lower()), bars)  # fmt: skip
    return Figure(key, title, chart, Table(column, header, rows))
