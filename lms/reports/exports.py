"""The organiser's exports of one edition: a header and rows, for CSV and XLSX alike.

Headers and labels come out in the current locale (the organiser's on the web, the
``--lang`` of the CLI through ``force_locale``). Times are the course's wall-clock
times. Each export reads the edition in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.choices import GENDERS, ORGANISATION_TYPES, PROVINCES
from lms.accounts.models import User
from lms.attendance.models import AttendanceStatus
from lms.catalogue.models import Course, Run
from lms.certificates.services import display_code
from lms.completion import edition
from lms.consent.models import Purpose
from lms.consent.services import consenting_user_ids
from lms.enrollment.models import ChoiceStatus, RegistrationStatus, RunChoice, where_holding_seat
from lms.extensions import db
from lms.i18n import language_name, tr_text
from lms.reports import data, learning_gain
from lms.reports.naming import labels, module_name
from lms.spreadsheets import Table

ATTENDANCE_LABELS = {
    AttendanceStatus.PRESENT: _l("Present"),
    AttendanceStatus.LATE: _l("Late"),
    AttendanceStatus.ABSENT: _l("Absent"),
    AttendanceStatus.EXCUSED: _l("Excused"),
}
CHOICE_LABELS = {
    ChoiceStatus.CONFIRMED: _l("Confirmed"),
    ChoiceStatus.WAITING: _l("Waiting"),
    ChoiceStatus.SWITCHED: _l("Switched to the other run"),
    ChoiceStatus.LEFT: _l("Left the waiting list"),
    ChoiceStatus.CANCELLED: _l("Cancelled"),
}
REGISTRATION_LABELS = {
    RegistrationStatus.ACTIVE: _l("Registered"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
}
SOURCE_LABELS = {
    "manual": _l("Marked by hand"),
    "zoom": "Zoom",
    "teams": "Microsoft Teams",
    "meet": "Google Meet",
}


@dataclass(frozen=True)
class ExportKind:
    name: str  # in URLs, file names and the CLI
    label: object  # lazy string
    description: object
    build: Callable[[Course], Table]
    # Which consent the file relies on, as the export page reminds organisers.
    consent_note: object = _l(
        "Personal data held for taking part in the course: use it to run the course only, "
        "never send it to donors. Each export is recorded in the audit log."
    )


def run_name(run: Run, course: Course) -> str:
    """e.g. "Lớp A (2023-10-10)": the run's label and its day in the course's zone."""
    return f"{tr_text(run.label) or run.key} ({run.starts_at.astimezone(course.zone):%Y-%m-%d})"


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _profile_header() -> list[str]:
    return [_("Full name"), _("Email"), _("Organisation")]


# -- registrations --------------------------------------------------------------------


def registrations(course: Course) -> Table:
    """One row per learner (cancelled registrations too): profile, then each module's
    chosen run, its state and the waiting-list position."""
    learners = data.learners(course, include_cancelled=True)
    chosen = data.choices(course)
    runs = {run.id: run_name(run, course) for run in course.runs}
    kinds, provinces, genders = labels(ORGANISATION_TYPES), labels(PROVINCES), labels(GENDERS)
    states, registration_states = labels(CHOICE_LABELS), labels(REGISTRATION_LABELS)
    languages: dict[str, str] = {}
    header = [
        *_profile_header(), _("Type of organisation"), _("Position"), _("Province"), _("Gender"),
        _("Language"), _("Registration"), _("Registered on"), _("Cancelled on"),
    ]  # fmt: skip
    for module in course.modules:
        name = module_name(module)
        header += [f"{name}: {_('run')}", f"{name}: {_('state')}", f"{name}: {_('waiting position')}"]
    rows = []
    for learner in learners:
        if learner.locale not in languages:
            languages[learner.locale] = language_name(learner.locale)
        row = [
            learner.full_name, learner.email, learner.organisation,
            kinds.get(learner.organisation_type, learner.organisation_type), learner.job_title,
            provinces.get(learner.province, learner.province), genders.get(learner.gender, learner.gender),
            languages[learner.locale], registration_states.get(learner.registration_status, ""),
            data.local(learner.registered_at, course.zone), data.local(learner.cancelled_at, course.zone),
        ]  # fmt: skip
        for module in course.modules:
            choice = chosen.get((learner.user_id, module.id))
            if choice is None:
                row += [None, None, None]
            else:
                row += [
                    runs.get(choice.run_id),
                    states.get(choice.status, choice.status),
                    choice.waiting_position,
                ]
        rows.append(row)
    return Table(_("Registrations"), header, rows, people=len(learners))


# -- attendance -----------------------------------------------------------------------


def attendance(course: Course) -> Table:
    """One row per learner and module: the run, the mark, its minutes and source, who
    marked it and when. A module without a mark shows the chosen run, "Not marked"."""
    learners = data.learners(course)
    marks = edition.best_marks(course)
    chosen = data.choices(course)
    runs = {run.id: run_name(run, course) for run in course.runs}
    statuses, sources = labels(ATTENDANCE_LABELS), labels(SOURCE_LABELS)
    not_marked = _("Not marked")
    modules = [(module.id, module_name(module)) for module in course.modules]
    header = [
        *_profile_header(), _("Module"), _("Run"), _("Attendance"), _("Minutes"), _("Source"),
        _("Marked by"), _("Marked at"),
    ]  # fmt: skip
    rows = []
    zone = course.zone
    for learner in learners:
        person = [learner.full_name, learner.email, learner.organisation]
        for module_id, name in modules:
            mark = marks.get((learner.user_id, module_id))
            if mark is None:
                choice = chosen.get((learner.user_id, module_id))
                run = (
                    runs.get(choice.run_id) if choice is not None and choice.status in data.CURRENT else None
                )
                rows.append([*person, name, run, not_marked, None, None, None, None])
                continue
            rows.append([
                *person, name, runs.get(mark.run_id), statuses.get(mark.status, mark.status), mark.minutes,
                sources.get(mark.source, mark.source), mark.marked_by, data.local(mark.marked_at, zone),
            ])  # fmt: skip
    return Table(_("Attendance"), header, rows, people=len(learners))


def attendance_wide(course: Course) -> Table:
    """One row per learner: each module's attendance, modules done, complete, certificate."""
    learners = data.learners(course)
    marks = edition.best_marks(course)
    evidence = edition.load_evidence(course, marks=marks)
    certificates = data.valid_certificates(course)
    progress = edition.edition_progress(course, [learner.user_id for learner in learners], evidence)
    statuses = labels(ATTENDANCE_LABELS)
    not_marked, yes, no = _("Not marked"), _("yes"), _("no")
    module_ids = [module.id for module in course.modules]
    header = [
        *_profile_header(),
        *(module_name(module) for module in course.modules),
        _("Modules done"), _("Complete"), _("Certificate code"),
    ]  # fmt: skip
    rows = []
    for learner in learners:
        row = [learner.full_name, learner.email, learner.organisation]
        for module_id in module_ids:
            mark = marks.get((learner.user_id, module_id))
            row.append(not_marked if mark is None else statuses.get(mark.status, mark.status))
        done = len(progress[learner.user_id].done)
        complete = progress[learner.user_id].complete(module_ids)
        row += [done, yes if complete else no, display_code(certificates.get(learner.user_id))]
        rows.append(row)
    return Table(_("Attendance and completion"), header, rows, people=len(learners))


# -- quiz results ---------------------------------------------------------------------


def results(course: Course, module_key: str | None = None) -> Table:
    """One row per learner and quiz: attempts, best score, passed, last submitted."""
    learners = data.learners(course)
    outcomes = edition.quiz_outcomes(course)
    quizzes = edition.quiz_modules(course)
    modules = [m for m in course.modules if m.id in quizzes and (module_key is None or m.key == module_key)]
    not_taken, waiting, yes, no = _("not taken"), _("waiting for grading"), _("yes"), _("no")
    header = [
        *_profile_header(), _("Module"), _("Attempts"), _("Best score (%)"), _("Passed"), _("Last submitted"),
    ]  # fmt: skip
    rows = []
    for module in modules:
        name = module_name(module)
        for learner in learners:
            outcome = outcomes.get((learner.user_id, module.id))
            person = [learner.full_name, learner.email, learner.organisation, name]
            if outcome is None:
                rows.append([*person, 0, None, not_taken, None])
                continue
            if outcome.passed:
                passed = yes
            elif outcome.best_percent is None and outcome.awaiting:
                passed = waiting
            else:
                passed = no
            best = None if outcome.best_percent is None else round(outcome.best_percent, 1)
            rows.append(
                [*person, outcome.attempts, best, passed, data.local(outcome.last_submitted, course.zone)]
            )
    return Table(_("Quiz results"), header, rows, people=len(learners))


# -- roster ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    full_name: str
    organisation: str
    email: str


def roster(run: Run) -> list[RosterLine]:
    """The learners holding a seat in the run (active registrations), by name."""
    rows = db.session.execute(
        where_holding_seat(
            select(User.full_name, User.organisation, User.email).join(
                RunChoice, RunChoice.user_id == User.id
            )
        ).where(RunChoice.run_id == run.id)
    ).all()
    return sorted((RosterLine(*row) for row in rows), key=lambda line: data.name_key(line.full_name))


def roster_table(run: Run, lines: list[RosterLine]) -> Table:
    header = ["#", _("Full name"), _("Organisation"), _("Email"), _("Signature")]
    rows = [[index, line.full_name, line.organisation, line.email, ""] for index, line in enumerate(lines, 1)]
    return Table(_("Roster"), header, rows, people=len(lines))


# -- participants for the donors --------------------------------------------------------


def donor_participants(course: Course) -> Table:
    """The participant list the donors (UNIDO, SECO) ask for: one row per registered
    learner who consents to sharing their data with them (a transfer abroad), with the
    breakdowns of the donor report. Learners without that consent are left out; the
    dashboard's counted figures still count everyone."""
    learners = data.learners(course)
    sharing = consenting_user_ids(Purpose.DONOR_SHARING, [learner.user_id for learner in learners])
    kinds, provinces, genders = labels(ORGANISATION_TYPES), labels(PROVINCES), labels(GENDERS)
    header = [_("Full name"), _("Organisation"), _("Type of organisation"), _("Province"), _("Gender")]
    rows = [
        [
            learner.full_name,
            learner.organisation,
            kinds.get(learner.organisation_type, learner.organisation_type),
            provinces.get(learner.province, learner.province),
            genders.get(learner.gender, learner.gender),
        ]
        for learner in learners
        if learner.user_id in sharing
    ]
    return Table(_("Participants (donors)"), header, rows, people=len(rows))


def evaluations(course: Course) -> Table:
    # Imported here: the evaluation report uses this module's labels and names.
    from lms.reports.evaluation_report import long_table

    return long_table(course)


EXPORTS = {
    kind.name: kind
    for kind in (
        ExportKind("registrations", _l("Registrations"),
                   _l("One row per learner: profile, the chosen run of each module, its state and waiting-list position; cancelled registrations included."),
                   registrations),
        ExportKind("attendance", _l("Attendance (one row per learner and module)"),
                   _l("Run, attendance, minutes, source, who marked it and when."), attendance),
        ExportKind("attendance-wide", _l("Attendance and completion (one row per learner)"),
                   _l("One column per module, modules done, complete or not, certificate code."), attendance_wide),
        ExportKind("results", _l("Quiz results"),
                   _l("Per module: attempts, best score, passed, last submitted."), results),
        ExportKind("evaluations", _l("Evaluations"),
                   _l("Response rates, every question's answers and means, free texts and breakdowns; groups of fewer than 5 answers shown as such."),
                   evaluations),
        ExportKind("learning-gain", _l("Learning gain"),
                   _l("Pre-test against quiz, per module and for the course, by type of organisation, province and gender; groups of fewer than 5 not shown."),
                   learning_gain.export),
        ExportKind("donor-participants", _l("Participants for the donors"),
                   _l("Name, organisation and its type, province and gender of each registered learner who agreed to share their data with the donors abroad."),
                   donor_participants,
                   _l("Only learners who consented to sharing their data with the programme's donors abroad are listed; the others are left out (the dashboard's figures still count them). A withdrawal takes effect in the next file. Each export is recorded in the audit log.")),
    )
}  # fmt: skip


def export_filename(course: Course, name: str, extension: str, today: datetime) -> str:
    return f"{course.slug}-{name}-{today.astimezone(course.zone):%Y-%m-%d}.{extension}"
