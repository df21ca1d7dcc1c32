"""Organisers set up the forms: the standard template on every module, the edition's
settings, items added, edited, reordered and removed until the first answer arrives, and
each form's close date. Functions flush, never commit."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.models import Course, Module
from lms.deadlines import last_instant
from lms.errors import FieldError, ServiceError
from lms.evaluations import template
from lms.evaluations.models import (
    RATING_POINTS,
    EvaluationForm,
    EvaluationItem,
    EvaluationSettings,
    FormKind,
    ItemKind,
)
from lms.extensions import db

# How long a module's evaluation stays open after its last run, unless organisers say.
DEFAULT_OPEN_DAYS = 14

TEMPLATE_APPLIED = declare_action(
    "edition.evaluations_applied",
    _l("Applied the standard evaluation forms"),
    forms=Detail(_l("Forms added"), Shown.NUMBER),
)
FORM_CHANGED = declare_action(
    "evaluation_form.changed",
    _l("Changed an evaluation form"),
    module_id=Detail(_l("Module"), Shown.MODULE),
    change=Detail(_l("Change")),
)
SETTINGS_CHANGED = declare_action(
    "edition.evaluation_settings_changed",
    _l("Changed the evaluation settings of an edition"),
    required_for_certificate=Detail(_l("Required for the certificate")),
    trainers_see_results=Detail(_l("Trainers see their modules' results")),
    follow_up_months=Detail(_l("Follow-up after (months)"), Shown.NUMBER),
)


def settings_of(course_id: int) -> EvaluationSettings:
    """The edition's settings, or the defaults (not added to the session)."""
    return db.session.get(EvaluationSettings, course_id) or EvaluationSettings(
        course_id=course_id, required_for_certificate=False, trainers_see_results=True, follow_up_months=3
    )


def save_settings(
    course: Course, actor: User, *, required_for_certificate: bool, trainers_see_results: bool,
    follow_up_months: int,
) -> EvaluationSettings:  # fmt: skip
    if not 1 <= follow_up_months <= 24:
        raise FieldError("follow_up_months", _l("Please give a number of months from 1 to 24."))
    settings = db.session.get(EvaluationSettings, course.id)
    if settings is None:
        settings = EvaluationSettings(course_id=course.id)
        db.session.add(settings)
    settings.required_for_certificate = required_for_certificate
    settings.trainers_see_results = trainers_see_results
    settings.follow_up_months = follow_up_months
    db.session.flush()
    record(SETTINGS_CHANGED, course, actor=actor, course_id=course.id,
           required_for_certificate=required_for_certificate, trainers_see_results=trainers_see_results,
           follow_up_months=follow_up_months)  # fmt: skip
    return settings


def forms_of(course: Course) -> list[EvaluationForm]:
    """The edition's forms with their items: modules in order, the follow-up last."""
    forms = db.session.scalars(
        select(EvaluationForm)
        .where(EvaluationForm.course_id == course.id)
        .options(selectinload(EvaluationForm.items))
    ).all()
    order = {module.id: module.position for module in course.modules}
    return sorted(forms, key=lambda form: (form.is_follow_up, order.get(form.module_id, 0)))


def default_close(module: Module, course: Course) -> datetime | None:
    """The end of the day, in the course's zone, two weeks after the module's last run."""
    ends = max((run.ends_at for run in module.runs), default=None)
    if ends is None:
        return None
    day = ends.astimezone(course.zone).date() + timedelta(days=DEFAULT_OPEN_DAYS)
    return last_instant(datetime.combine(day, time(23, 59), tzinfo=course.zone))


def _new_items(rows) -> list[EvaluationItem]:
    return [
        EvaluationItem(position=position, kind=kind, text=dict(text),
                       options=[dict(option) for option in options], required=required)
        for position, (kind, text, options, required) in enumerate(rows, start=1)
    ]  # fmt: skip


def apply_template(course: Course, actor: User | None) -> int:
    """Give every module without an evaluation form the standard one, and the edition its
    follow-up survey; forms already there are left as they are. How many were added."""
    existing = {(form.module_id, form.kind) for form in forms_of(course)}
    added = 0
    for module in course.modules:
        if (module.id, FormKind.MODULE) not in existing:
            db.session.add(EvaluationForm(course_id=course.id, module_id=module.id, kind=FormKind.MODULE,
                                          closes_at=default_close(module, course),
                                          items=_new_items(template.MODULE_ITEMS)))  # fmt: skip
            added += 1
    if (None, FormKind.FOLLOW_UP) not in existing:
        db.session.add(
            EvaluationForm(course_id=course.id, module_id=None, kind=FormKind.FOLLOW_UP,
                           items=_new_items(template.FOLLOW_UP_ITEMS))
        )  # fmt: skip
        added += 1
    db.session.flush()
    if actor is not None and added:
        record(TEMPLATE_APPLIED, course, actor=actor, course_id=course.id, forms=added)
    return added


# -- editing a form -------------------------------------------------------------------


def check_editable(form: EvaluationForm) -> None:
    if form.answered:
        raise ServiceError(
            _l("This form has answers already, so its items can no longer change: the answers "
               "would no longer match their questions.")
        )  # fmt: skip


def clean_item(kind: str, text: dict, options: list[dict]) -> tuple[dict, list[dict]]:
    """Both languages of the question and of every option, the right number of options."""
    if kind not in set(ItemKind):
        raise FieldError("kind", _l("Please choose a type of question."))
    text = {locale: (value or "").strip() for locale, value in text.items()}
    if not text.get("vi") or not text.get("en"):
        raise FieldError("text_vi", _l("Please write the question in Vietnamese and in English."))
    options = [
        {locale: (value or "").strip() for locale, value in option.items()}
        for option in options
        if any((value or "").strip() for value in option.values())
    ]
    if any(not option.get("vi") or not option.get("en") for option in options):
        raise FieldError("options", _l("Please write every option in Vietnamese and in English."))
    if kind == ItemKind.RATING and len(options) != len(RATING_POINTS):
        raise FieldError("options", _l("A rating needs five labels, from 1 to 5, in both languages."))
    if kind in (ItemKind.SINGLE, ItemKind.MULTIPLE) and len(options) < 2:
        raise FieldError("options", _l("A choice needs at least two options."))
    if kind == ItemKind.TEXT:
        options = []
    return text, options


def add_item(form: EvaluationForm, actor: User, kind: str, text: dict, options: list[dict],
             required: bool) -> EvaluationItem:  # fmt: skip
    check_editable(form)
    text, options = clean_item(kind, text, options)
    item = EvaluationItem(position=len(form.items) + 1, kind=kind, text=text, options=options,
                          required=required)  # fmt: skip
    form.items.append(item)
    db.session.flush()
    _record(form, actor, "item added")
    return item


def update_item(item: EvaluationItem, actor: User, text: dict, options: list[dict], required: bool) -> None:
    check_editable(item.form)
    item.text, item.options = clean_item(item.kind, text, options)
    item.required = required
    db.session.flush()
    _record(item.form, actor, "item changed")


def remove_item(item: EvaluationItem, actor: User) -> None:
    form = item.form
    check_editable(form)
    form.items.remove(item)
    for position, other in enumerate(form.items, start=1):
        other.position = position
    db.session.flush()
    _record(form, actor, "item removed")


def move_item(item: EvaluationItem, actor: User, direction: str) -> None:
    form = item.form
    check_editable(form)
    items = list(form.items)
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index].position, items[other].position = items[other].position, items[index].position
        db.session.flush()
        _record(form, actor, "item moved")


def set_closes_at(form: EvaluationForm, actor: User, closes_at: datetime | None) -> None:
    """The close date (aware; the caller applied ``last_instant`` to what was typed);
    None: the form never closes."""
    form.closes_at = closes_at
    db.session.flush()
    _record(form, actor, "close date")


def _record(form: EvaluationForm, actor: User, change: str) -> None:
    record(FORM_CHANGED, form, actor=actor, course_id=form.course_id, module_id=form.module_id, change=change)
