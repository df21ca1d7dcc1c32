"""The evaluations' part of copying an edition: its settings and every form with its
items (the close dates moved like the runs); no answers, no invitations, and the copies
may be edited again."""

from __future__ import annotations

from collections.abc import Mapping

from lms.catalogue.models import Course, Module
from lms.deadlines import shift_local
from lms.evaluations.forms_setup import forms_of
from lms.evaluations.models import EvaluationForm, EvaluationItem, EvaluationSettings
from lms.extensions import db


def copy_for_edition(course: Course, copy: Course, modules: Mapping[int, Module], days: int) -> int:
    """Copy ``course``'s forms to ``copy`` ({old module id: its copy}); how many."""
    settings = db.session.get(EvaluationSettings, course.id)
    if settings is not None:
        db.session.add(EvaluationSettings(
            course_id=copy.id, required_for_certificate=settings.required_for_certificate,
            trainers_see_results=settings.trainers_see_results, follow_up_months=settings.follow_up_months,
        ))  # fmt: skip
    forms = forms_of(course)
    for form in forms:
        module = modules.get(form.module_id) if form.module_id else None
        if form.module_id and module is None:
            continue
        db.session.add(
            EvaluationForm(
                course_id=copy.id, module_id=module.id if module else None, kind=form.kind,
                closes_at=shift_local(form.closes_at, course.zone, days),
                items=[EvaluationItem(position=item.position, kind=item.kind, text=dict(item.text),
                                      options=[dict(option) for option in item.options], required=item.required)
                       for item in form.items],
            )
        )  # fmt: skip
    return len(forms)
