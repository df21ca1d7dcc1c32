"""The messages of an edition, for its organisers and trainers, at
/organise/courses/<slug>/messages: the list, writing one (with how many it reaches and a
preview in each language, no script needed), a message with its recipients, cancelling
a scheduled one. Trainers see and write only for the runs they teach (and their modules)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.catalogue.models import Course, Module
from lms.catalogue.services import can_manage_course
from lms.db import utcnow
from lms.errors import FieldError, ServiceError
from lms.extensions import db
from lms.messages import services
from lms.messages.audiences import AUDIENCES
from lms.messages.forms import LATER, NOW, ActionForm, ComposeForm
from lms.messages.models import Message, MessageRecipient
from lms.messages.recipients import reach_of
from lms.messages.scopes import allowed_scopes, resolve_scope, visible_messages
from lms.transactions import Outcome, commit_change

bp = Blueprint("messages", __name__, url_prefix="/organise/courses/<slug>/messages")

RECIPIENTS_PER_PAGE = 200


def managed_edition(slug: str) -> Course:
    course = db.session.scalar(
        select(Course)
        .where(Course.slug == slug)
        .options(selectinload(Course.modules).selectinload(Module.runs))
    ) or abort(404)
    if not can_manage_course(current_user, course.id):
        abort(403)
    return course


def visible_message(course: Course, message_id: int) -> Message:
    allowed = allowed_scopes(current_user, course)
    message = db.session.scalar(
        select(Message)
        .where(Message.id == message_id, visible_messages(course, allowed))
        .options(joinedload(Message.author), joinedload(Message.module), joinedload(Message.run))
    )
    return message or abort(404)


@bp.get("")
@login_required
def index(slug: str):
    course = managed_edition(slug)
    allowed = allowed_scopes(current_user, course)
    messages = db.session.scalars(
        select(Message)
        .where(visible_messages(course, allowed))
        .options(joinedload(Message.author), joinedload(Message.module), joinedload(Message.run))
        .order_by(Message.send_at.desc(), Message.id.desc())
    ).all()
    return render_template(
        "messages/index.html", course=course, messages=messages, audiences=AUDIENCES, now=utcnow()
    )


def draft_from(form: ComposeForm, course: Course, allowed) -> services.Draft:
    """The form read into a draft; FieldError/ServiceError for what cannot be read."""
    return services.Draft(
        subject=form.texts("subject"),
        body=form.texts("body"),
        scope=resolve_scope(course, form.scope.data, allowed),
        audience=form.audience.data or "",
        about_seats=bool(form.about_seats.data),
        send_at=form.send_at(course.zone),
    )


def refusal_message(form: ComposeForm, refusal: ServiceError):
    """A refusal about one field goes next to it; the page's message says so."""
    if isinstance(refusal, FieldError) and form.add_error(refusal.field, refusal.message):
        return _("Please correct the marked fields.")
    return refusal.message


def preview_of(form: ComposeForm, course: Course, allowed):
    """How many the draft reaches and its text in each language (nothing is saved), and
    what would stop it from being sent."""
    try:
        draft = draft_from(form, course, allowed)
    except ServiceError as refusal:
        return None, refusal_message(form, refusal)
    error = None
    try:
        services.check_texts(draft)
        services.check_choices(draft, utcnow())
    except ServiceError as refusal:
        error = refusal_message(form, refusal)
    about_seats = services.is_about_seats(draft)
    # Counted once for both the preview and the check: "not yet complete" in an edition
    # of 10,000 learners takes about a quarter of a second.
    reach = reach_of(draft.scope, draft.audience, about_seats)
    if error is None:
        try:
            services.check_reach(reach)
        except ServiceError as refusal:
            error = refusal_message(form, refusal)
    preview = {
        "reach": reach,
        "texts": [(code, *services.texts_in(draft.subject, draft.body, code)) for code in languages()],
        "about_seats": about_seats,
    }
    return preview, error


def languages() -> list[str]:
    return current_app.config["LANGUAGES"]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def compose(slug: str):
    """Write a message, or go on with a draft (``?draft=<id>``)."""
    course = managed_edition(slug)
    allowed = allowed_scopes(current_user, course)
    draft_message = draft_or_404(course, request.args.get("draft", type=int))
    form = ComposeForm.build(course, allowed)
    if request.method == "GET":
        if draft_message is not None:
            form.load(draft_message, course.zone)
        elif request.args.get("scope"):
            form.scope.data = request.args["scope"]
    preview = error = None
    action = request.form.get("action")
    if form.validate_on_submit():
        if action in ("send", "draft"):
            outcome = save(form, lambda: record(form, course, allowed, draft_message, action))
            if outcome.ok:
                flash(SAVED[action if action == "draft" else form.when.data], "success")
                return redirect(url_for("messages.show", slug=course.slug, message_id=outcome.value.id))
            error = outcome.error
        else:
            preview, error = preview_of(form, course, allowed)
            db.session.rollback()
    elif request.method == "POST":
        error = _("Nothing was sent. Please correct the marked fields.")
    return render_template(
        "messages/compose.html",
        course=course,
        form=form,
        preview=preview,
        error=error,
        zone=course.zone,
        draft=draft_message,
    )


SAVED = {
    "draft": _l("The draft is saved. Nobody receives it until you send it."),
    LATER: _l("The message is scheduled. It will be sent at the time you chose."),
    NOW: _l("The message is being sent. Its recipients appear below in a moment."),
}


def draft_or_404(course: Course, message_id: int | None) -> Message | None:
    if message_id is None:
        return None
    message = visible_message(course, message_id)
    return message if message.is_draft else abort(404)


def record(form: ComposeForm, course: Course, allowed, draft_message: Message | None, action: str) -> Message:
    draft = draft_from(form, course, allowed)
    if action == "draft":
        return services.save_draft(course, draft, current_user, draft_message)
    return services.compose(course, draft, current_user, message=draft_message)


def save(form: ComposeForm, action):
    """Commit ``action``; a refusal about one field is shown next to it."""
    outcome = commit_change(action)
    if isinstance(outcome.refusal, FieldError) and form.add_error(outcome.refusal.field, outcome.error):
        return Outcome(
            error=_("Nothing was sent. Please correct the marked fields."), refusal=outcome.refusal
        )
    return outcome


@bp.get("/<int:message_id>")
@login_required
def show(slug: str, message_id: int):
    course = managed_edition(slug)
    message = visible_message(course, message_id)
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    total = db.session.scalar(
        select(func.count()).select_from(MessageRecipient).where(MessageRecipient.message_id == message.id)
    )
    recipients = db.session.execute(
        select(MessageRecipient.locale, User.full_name, User.email)
        .outerjoin(User, User.id == MessageRecipient.user_id)
        .where(MessageRecipient.message_id == message.id)
        .order_by(User.full_name, MessageRecipient.id)
        .limit(RECIPIENTS_PER_PAGE)
        .offset((page - 1) * RECIPIENTS_PER_PAGE)
    ).all()
    return render_template(
        "messages/show.html",
        course=course,
        message=message,
        audiences=AUDIENCES,
        recipients=recipients,
        total=total,
        page=page,
        pages=max(1, -(-total // RECIPIENTS_PER_PAGE)),
        texts=[(code, *services.texts_in(message.subject, message.body, code)) for code in languages()],
        form=ActionForm(),
    )


@bp.post("/<int:message_id>/cancel")
@login_required
def cancel(slug: str, message_id: int):
    course = managed_edition(slug)
    message = visible_message(course, message_id)
    if ActionForm().validate_on_submit():
        outcome = commit_change(lambda: services.cancel(message, current_user), flash_refusal=True)
        if outcome.ok:
            flash(_("The scheduled message is cancelled: nobody will receive it."), "success")
    return redirect(url_for("messages.show", slug=course.slug, message_id=message_id))
