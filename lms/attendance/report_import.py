"""Importing a video-call participant report into a run's attendance.

Three steps, each its own request: the report is received and kept on disk under its
SHA-256 (``receive_report``); the review (``preview``) reads it again, matches
participants to the run's learners and proposes a mark for each learner; applying it
(``apply_import``) writes the marks with the trainer's decisions for the names that
needed review. The preview is recomputed from the file every time, so what is applied
is exactly what was shown, and applying the same report again changes nothing.

Marks a trainer entered by hand are not replaced unless the trainer ticks them: a
learner marked Excused stays Excused when the report says they were not there.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.attendance import participants as matching
from lms.attendance import report_parsing
from lms.attendance.models import Attendance, AttendanceImport, AttendanceStatus
from lms.attendance.services import Mark, check_may_mark, learners_of, mark, marks_for
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.models import Run
from lms.errors import ServiceError
from lms.extensions import db
from lms.files import write_atomically

# The audit log's actions recorded here (lms.audit.actions).
REPORT_IMPORTED = declare_action(
    "attendance.imported",
    _l("Imported a participant report"),
    platform=Detail(_l("Platform")),
    filename=Detail(_l("File")),
    sha256=Detail(_l("SHA-256")),
    changed=Detail(_l("Marks changed"), Shown.NUMBER),
)


MAX_REPORT_BYTES = 5 * 1024 * 1024
DIGEST = re.compile(r"^[0-9a-f]{64}$")

# The importer's error keys in the reader's language; the values come from the report.
REPORT_ERRORS = {
    "empty": _l("The report lists no participants."),
    "not_csv": _l(
        "This is a %(kind)s, not a CSV file: export the participant report as CSV and upload that."
    ),
    "encoding": _l("The file is neither UTF-8 nor UTF-16 text. Export the report again as CSV."),
    "unreadable": _l("The file cannot be read as CSV (%(problem)s)."),
    "unknown_format": _l(
        "This is not a Zoom, Microsoft Teams or Google Meet participant report. Upload the report "
        "exactly as the platform exported it."
    ),
    "missing_column": _l("The participant table has no “%(column)s” column."),
    "missing_value": _l("“%(column)s” is empty."),
    "bad_time": _l("“%(value)s” in “%(column)s” is not a date and time."),
    "inconsistent_dates": _l(
        "“%(value)s” in “%(column)s” does not follow the day/month order of the dates above it."
    ),
    "date_needed": _l("“%(value)s” in “%(column)s” has no date."),
    "leave_before_join": _l("The leave time %(left)s is before the join time %(joined)s."),
}


FILE_KINDS = {
    "Excel workbook or other ZIP file": _l("Excel workbook"),
    "Excel 97-2003 workbook": _l("Excel 97-2003 workbook"),
    "PDF document": _l("PDF document"),
}


def report_error_message(error: report_parsing.ReportError) -> str:
    values = dict(error.values)
    if "kind" in values:
        values["kind"] = str(FILE_KINDS.get(values["kind"], values["kind"]))
    text = REPORT_ERRORS[error.key] % values
    return str(_l("Line %(line)s of the report: %(problem)s", line=error.line, problem=text))


# ---------------------------------------------------------------------------------------
# The stored report


def _folder(run: Run) -> Path:
    return Path(current_app.instance_path) / "attendance-imports" / f"run-{run.id}"


def receive_report(run: Run, data: bytes, filename: str, zone_name: str, actor: User) -> str:
    """Check the report can be read, keep it on disk and return its SHA-256. A report
    that cannot be imported raises ServiceError naming the line; nothing is kept."""
    check_may_mark(actor, run)
    if not data:
        raise ServiceError(_l("Please choose the participant report to upload."))
    if len(data) > MAX_REPORT_BYTES:
        raise ServiceError(_l("The report is larger than 5 MB; a participant report is much smaller."))
    zone = _zone(zone_name)
    try:
        report_parsing.parse_report(data, filename, zone, meeting_date=_meeting_date(run))
    except report_parsing.ReportError as error:
        raise ServiceError(report_error_message(error)) from error
    digest = hashlib.sha256(data).hexdigest()
    folder = _folder(run)
    write_atomically(folder / f"{digest}.json", json.dumps({"filename": filename[:255]}).encode())
    write_atomically(folder / digest, data)
    return digest


def forget_stored_reports(run: Run) -> int:
    """Remove the participant reports kept for the run's review page (they name everyone
    who joined): the marks and decisions they led to stay in the database; a report
    that was not applied yet has to be uploaded again. Returns how many files went."""
    folder = _folder(run)
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.iterdir():
        if path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _stored_report(run: Run, digest: str) -> tuple[bytes, str]:
    if not DIGEST.match(digest or ""):
        raise LookupError(digest)
    path = _folder(run) / digest
    try:
        data = path.read_bytes()
        filename = json.loads((path.parent / f"{digest}.json").read_text()).get("filename", "")
    except FileNotFoundError as missing:
        raise LookupError(digest) from missing
    return data, filename


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    # OSError: a name too long for a file name (the zone comes from the review's address)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ServiceError(_l("Unknown time zone.")) from error


def _meeting_date(run: Run):
    return run.starts_at.astimezone(run.module.course.zone).date()


# ---------------------------------------------------------------------------------------
# The review


@dataclass(frozen=True)
class Proposal:
    """What the report says about one learner of the run, beside their current mark."""

    learner: User
    minutes: int
    status: str
    current: Attendance | None
    via: tuple[str, ...]  # how the learner was found; empty when not in the report

    @property
    def in_report(self) -> bool:
        return bool(self.via)

    @property
    def changes(self) -> bool:
        current = self.current
        return current is None or (current.status, current.minutes) != (self.status, self.minutes)

    @property
    def kept_by_default(self) -> bool:
        """A mark entered by hand that the report would change is only replaced when
        the trainer ticks it."""
        return self.changes and self.current is not None and self.current.source == "manual"


@dataclass(frozen=True)
class Question:
    """A participant the importer could not place alone: its candidates are the learners
    whose name fits (ambiguous) or none (unmatched)."""

    participant: matching.Participant
    candidates: list[User]
    decision: int | str | None  # learner id, None (ignore) or "" (not decided yet)


@dataclass(frozen=True)
class Preview:
    run: Run
    digest: str
    filename: str
    platform: str
    zone: str
    dates_guessed: bool
    proposals: list[Proposal]
    questions: list[Question]
    trainers: list[matching.Participant]  # the session's own trainers, left out
    learners: list[User]

    @property
    def undecided(self) -> list[Question]:
        return [question for question in self.questions if question.decision == ""]


def previous_decisions(run: Run) -> dict[str, int | None]:
    """The review decisions of the run's earlier imports, latest last, so a report
    imported again (or a second part of it) needs no second review."""
    decisions: dict[str, int | None] = {}
    for imported in db.session.scalars(
        select(AttendanceImport).where(AttendanceImport.run_id == run.id).order_by(AttendanceImport.id)
    ):
        decisions.update(imported.decisions)
    return decisions


def preview(run: Run, digest: str, zone_name: str, decisions: dict[str, int | None] | None = None) -> Preview:
    """The marks the stored report proposes for the run's learners. ``decisions`` (by
    participant key) settle names the importer could not match; the run's earlier
    decisions fill in the rest. Raises LookupError for a report that is not stored."""
    data, filename = _stored_report(run, digest)
    zone = _zone(zone_name)
    try:
        report = report_parsing.parse_report(data, filename, zone, meeting_date=_meeting_date(run))
    except report_parsing.ReportError as error:
        raise ServiceError(report_error_message(error)) from error
    learners = learners_of(run)
    by_id = {learner.id: learner for learner in learners}
    participants = matching.group_participants(report, run.starts_at, run.ends_at)
    trainers, participants = _set_trainers_apart(run, participants)

    remembered = {**previous_decisions(run), **(decisions or {})}
    keys = {participant.key for participant in participants}
    usable = {
        key: value for key, value in remembered.items() if key in keys and (value is None or value in by_id)
    }
    try:
        result = matching.match_participants(participants, [_as_learner(one) for one in learners], usable)
    except ValueError as error:  # a decision names somebody who no longer has a seat
        raise ServiceError(_l("The review named a learner who has no seat in this session.")) from error

    questions = [
        Question(participant, [by_id[learner_id] for learner_id in candidates], "")
        for participant, candidates in result.ambiguous
    ] + [Question(participant, [], "") for participant in result.unmatched]
    questions += [Question(participant, [], None) for participant in result.ignored]
    for learner_id, found in result.matched.items():
        questions += [
            Question(next(p for p in participants if p.key == key), [], learner_id)
            for key, via in zip(found.participant_keys, found.via, strict=True)
            if via == "review"
        ]
    questions.sort(key=lambda question: (question.decision != "", question.participant.key))
    return Preview(
        run=run, digest=digest, filename=filename, platform=report.platform, zone=zone.key,
        dates_guessed=report.dates_guessed, proposals=_proposals(run, learners, result),
        questions=questions, trainers=trainers, learners=learners,
    )  # fmt: skip


def _as_learner(user: User) -> matching.Learner:
    return matching.Learner(user.id, user.full_name, user.email)


def _set_trainers_apart(run: Run, participants):
    """The session's trainers are in every report but are not learners of it."""
    emails = {trainer.email.casefold() for trainer in run.trainers if trainer.email}
    names = {matching.normalise_name(trainer.full_name) for trainer in run.trainers}
    trainers, others = [], []
    for participant in participants:
        is_trainer = participant.email in emails if participant.email else (
            matching.normalise_name(participant.name) in names
        )  # fmt: skip
        (trainers if is_trainer else others).append(participant)
    return trainers, others


def _proposals(run: Run, learners: list[User], result: matching.MatchResult) -> list[Proposal]:
    course = run.module.course
    run_minutes = (run.ends_at - run.starts_at) // timedelta(minutes=1)
    current = marks_for(run)
    proposals = []
    for learner in learners:
        found = result.matched.get(learner.id)
        minutes = found.minutes if found else 0
        status = matching.status_for(
            minutes, run_minutes, course.present_threshold / 100, course.late_threshold / 100
        )
        proposals.append(
            Proposal(learner, minutes, status, current.get(learner.id), found.via if found else ())
        )
    return proposals


# ---------------------------------------------------------------------------------------
# Applying


def apply_import(
    run: Run,
    digest: str,
    zone_name: str,
    decisions: dict[str, int | None],
    replace_manual: set[int],
    actor: User,
) -> AttendanceImport:
    """Write the marks the report proposes. Every name that needed review must have a
    decision; hand-entered marks are replaced only for the learners in replace_manual."""
    check_may_mark(actor, run)
    shown = preview(run, digest, zone_name, decisions)
    if shown.undecided:
        raise ServiceError(
            _l("Please decide for every name in the list: choose the learner it belongs to, or ignore it.")
        )
    changed = 0
    for proposal in shown.proposals:
        if not proposal.changes or (proposal.kept_by_default and proposal.learner.id not in replace_manual):
            continue
        note = proposal.current.note if proposal.current else ""
        new = Mark(AttendanceStatus(proposal.status), proposal.minutes, note)
        changed += mark(run, proposal.learner.id, new, actor, source=shown.platform)
    settled = {
        question.participant.key: question.decision for question in shown.questions if question.decision != ""
    }
    imported = AttendanceImport(
        run_id=run.id, platform=shown.platform, filename=shown.filename, sha256=digest, timezone=shown.zone,
        decisions=settled, changed=changed, imported_by_id=actor.id,
    )  # fmt: skip
    db.session.add(imported)
    db.session.flush()
    record(REPORT_IMPORTED, run, actor=actor, course_id=run.module.course_id, platform=shown.platform,
           filename=shown.filename, sha256=digest, changed=changed)  # fmt: skip
    return imported


def imports_of(run: Run) -> list[AttendanceImport]:
    return list(
        db.session.scalars(
            select(AttendanceImport)
            .where(AttendanceImport.run_id == run.id)
            .order_by(AttendanceImport.id.desc())
        )
    )
