"""A learner's received messages at /my/messages, each readable by its recipients only,
and their choice about optional messages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.extensions import db
from lms.i18n import current_locale
from lms.messages import services
from lms.messages.forms import PreferenceForm
from lms.messages.models import Message, MessageRecipient
from lms.messages.notify import concerned_page
from lms.transactions import commit_change

bp = Blueprint("inbox", __name__, url_prefix="/my/messages")


@bp.get("")
@login_required
def index():
    rows = db.session.scalars(
        select(Message)
        .join(MessageRecipient, MessageRecipient.message_id == Message.id)
        .where(MessageRecipient.user_id == current_user.id)
        .options(joinedload(Message.course), joinedload(Message.author))
        .order_by(Message.sent_at.desc(), Message.id.desc())
    ).all()
    locale = current_locale()
    received = [(message, services.texts_in(message.subject, message.body, locale)) for message in rows]
    form = PreferenceForm(optional="on" if services.receives_optional(current_user) else "off")
    return render_template("messages/inbox.html", received=received, form=form)


@bp.get("/<int:message_id>")
@login_required
def received(message_id: int):
    message = db.session.scalar(
        select(Message)
        .join(MessageRecipient, MessageRecipient.message_id == Message.id)
        .where(Message.id == message_id, MessageRecipient.user_id == current_user.id)
        .options(joinedload(Message.course), joinedload(Message.author), joinedload(Message.module))
    ) or abort(404)
    subject, body, written_in, fallback = services.texts_in(message.subject, message.body, current_locale())
    return render_template(
        "messages/received.html",
        message=message,
        subject=subject,
        body=body,
        written_in=written_in,
        fallback=fallback,
        page_url=concerned_page(message, external=False),
    )


@bp.post("/preferences")
@login_required
def preferences():
    form = PreferenceForm()
    if form.validate_on_submit():
        wanted = form.optional.data == "on"
        outcome = commit_change(
            lambda: services.set_optional_messages(current_user, wanted), flash_refusal=True
        )
        if outcome.ok:
            flash(
                _("You will receive optional messages.") if wanted
                else _("Optional messages are turned off. Messages about your own seats still reach you."),
                "success",
            )  # fmt: skip
    else:
        flash(_("Nothing was changed: please choose which messages you want."), "error")
    return redirect(url_for("inbox.index"))
