"""The audit log as organisers read it: newest first, a page at a time, filtered by
edition and by person, with each action said in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.audit.actions import Shown, UndeclaredAction, action_named
from lms.audit.models import AuditEvent
from lms.catalogue.models import Course, Module, Run
from lms.catalogue.services import editions_by_id
from lms.certificates.models import Certificate
from lms.certificates.services import display_code
from lms.completion.models import CompletionException
from lms.enrollment.models import Registration
from lms.extensions import db
from lms.i18n import format_number, format_short_datetime, tr_text
from lms.mail.models import OutboxMessage
from lms.materials.models import Material
from lms.quizzes.models import Question, Quiz, QuizPurpose

PAGE_SIZE = 50

OBJECT_LABELS = {
    "registration": _l("Registration"),
    "run": _l("Run"),
    "quiz": _l("Quiz"),
    "question": _l("Question"),
    "answer": _l("Answer"),
    "material": _l("Material"),
    "user": _l("Person"),
    "completionexception": _l("Completion exception"),
    "certificate": _l("Certificate"),
    "course": _l("Edition"),
    "module": _l("Module"),
    "outboxmessage": _l("Email"),
    "privacyrequest": _l("Data request"),
}


def action_label(action: str) -> str:
    """The action in words; one no package declares (an old log) shows its code, readable."""
    try:
        return str(action_named(action).label)
    except UndeclaredAction:
        return action.replace("_", " ").replace(".", ": ").capitalize()


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    action: str
    object: str
    details: list[tuple[str, str]]


class Names:
    """The names of the objects a page of events mentions, one query per kind of object."""

    def __init__(self, events: list[AuditEvent]) -> None:
        wanted: dict[str, set[int]] = {}
        for event in events:
            if event.object_type and event.object_id is not None:
                wanted.setdefault(event.object_type, set()).add(event.object_id)
            for key, value in (event.details or {}).items():
                shown = _shown(event.action, key)
                kind = {Shown.USER: "user", Shown.MODULE: "module", Shown.RUN: "run"}.get(shown)
                if kind and isinstance(value, int):
                    wanted.setdefault(kind, set()).add(value)
        self.names = {kind: self._load(kind, ids) for kind, ids in wanted.items()}

    def _load(self, kind: str, ids: set[int]) -> dict[int, str]:
        loader = LOADERS.get(kind)
        return loader(ids) if loader else {}

    def of(self, kind: str, object_id: int | None) -> str | None:
        return self.names.get(kind, {}).get(object_id)


def _users(ids):
    return dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def _modules(ids):
    rows = db.session.execute(select(Module.id, Module.position, Module.title).where(Module.id.in_(ids)))
    return {
        id_: _("Module %(num)s: %(title)s", num=position, title=tr_text(title))
        for id_, position, title in rows
    }


def _runs(ids):
    rows = db.session.execute(
        select(Run.id, Run.key, Run.label, Module.position).join(Module).where(Run.id.in_(ids))
    )
    return {
        id_: _("Module %(num)s, %(run)s", num=position, run=tr_text(label) or key)
        for id_, key, label, position in rows
    }


def _courses(ids):
    return {
        id_: tr_text(title)
        for id_, title in db.session.execute(select(Course.id, Course.title).where(Course.id.in_(ids)))
    }


def _materials(ids):
    return {
        id_: tr_text(title)
        for id_, title in db.session.execute(select(Material.id, Material.title).where(Material.id.in_(ids)))
    }


def _quizzes(ids):
    rows = db.session.execute(
        select(Quiz.id, Quiz.purpose, Module.position).join(Module).where(Quiz.id.in_(ids))
    )
    return {
        id_: _("Pre-test of module %(num)s", num=position)
        if purpose == QuizPurpose.PRETEST
        else _("Quiz of module %(num)s", num=position)
        for id_, purpose, position in rows
    }


def _questions(ids):
    rows = db.session.execute(select(Question.id, Question.text).where(Question.id.in_(ids)))
    return {id_: _shorten(tr_text(text)) for id_, text in rows}


def _registrations(ids):
    rows = db.session.execute(
        select(Registration.id, User.full_name)
        .join(User, User.id == Registration.user_id)
        .where(Registration.id.in_(ids))
    )
    return {id_: _("Registration of %(name)s", name=name) for id_, name in rows}


def _certificates(ids):
    rows = db.session.execute(select(Certificate.id, Certificate.code).where(Certificate.id.in_(ids)))
    return {id_: display_code(code) for id_, code in rows}


def _exceptions(ids):
    rows = db.session.execute(
        select(CompletionException.id, Module.position)
        .join(Module, Module.id == CompletionException.module_id)
        .where(CompletionException.id.in_(ids))
    )
    return {id_: _("Exception for module %(num)s", num=position) for id_, position in rows}


def _emails(ids):
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.recipient).where(OutboxMessage.id.in_(ids))
    )
    return {id_: _("Email to %(address)s", address=recipient) for id_, recipient in rows}


LOADERS = {
    "user": _users, "module": _modules, "run": _runs, "course": _courses, "material": _materials,
    "quiz": _quizzes, "question": _questions, "registration": _registrations, "certificate": _certificates,
    "completionexception": _exceptions, "outboxmessage": _emails,
}  # fmt: skip


def _shorten(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _shown(action: str, key: str) -> Shown | None:
    try:
        detail = action_named(action).details.get(key)
    except UndeclaredAction:
        return None
    return detail.shown if detail else None


def object_name(event: AuditEvent, names: Names) -> str:
    if not event.object_type:
        return ""
    kind = str(OBJECT_LABELS.get(event.object_type, event.object_type))
    name = names.of(event.object_type, event.object_id)
    if name:
        return f"{kind}: {name}"
    return kind if event.object_id is None else f"{kind} #{event.object_id}"


def detail_rows(event: AuditEvent, names: Names, viewer: ZoneInfo) -> list[tuple[str, str]]:
    """Each detail as (label, value) in the reader's language; undeclared keys as they are."""
    try:
        declared = action_named(event.action).details
    except UndeclaredAction:
        declared = {}
    rows = []
    for key, value in (event.details or {}).items():
        detail = declared.get(key)
        label = str(detail.label) if detail else key
        rows.append((label, _value(value, detail.shown if detail else Shown.PLAIN, names, viewer)))
    return rows


def _value(value, shown: Shown, names: Names, viewer: ZoneInfo) -> str:
    kinds = {Shown.USER: "user", Shown.MODULE: "module", Shown.RUN: "run"}
    if shown in kinds:
        return names.of(kinds[shown], value) or f"#{value}"
    if shown == Shown.NUMBER and isinstance(value, int | float):
        return format_number(value)
    if shown == Shown.TEXT and isinstance(value, dict):
        return tr_text(value)
    if shown == Shown.TIME and isinstance(value, str):
        return _time(value, viewer)
    if shown == Shown.TIMES and isinstance(value, list) and len(value) == 2:
        return " – ".join(_time(part, viewer) for part in value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _time(text: str, viewer: ZoneInfo) -> str:
    try:
        return format_short_datetime(datetime.fromisoformat(text), viewer)
    except (TypeError, ValueError):
        return text


def describe(events: list[AuditEvent], viewer: ZoneInfo) -> list[EventRow]:
    """The page's events in words: action, object by its name, details with labels."""
    names = Names(events)
    return [
        EventRow(
            event, action_label(event.action), object_name(event, names), detail_rows(event, names, viewer)
        )
        for event in events
    ]


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int
    page: int
    pages: int
    courses: dict[int, Course]
    actors: list[tuple[int, str]]


def audit_page(course_id: int | None = None, actor_id: int | None = None, page: int = 1) -> AuditPage:
    """One page of events in four queries, whatever the size of the log."""
    statement = select(AuditEvent)
    if course_id is not None:
        statement = statement.where(AuditEvent.course_id == course_id)
    if actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = list(
        db.session.scalars(
            statement.options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    courses = editions_by_id()
    actors = db.session.execute(
        select(User.id, User.full_name)
        .where(User.id.in_(select(AuditEvent.actor_id).where(AuditEvent.actor_id.is_not(None))))
        .order_by(User.full_name)
    ).all()
    return AuditPage(events, total, page, pages, courses, [tuple(row) for row in actors])
