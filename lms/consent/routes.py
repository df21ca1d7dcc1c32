"""The learner's consents (/account/data), the re-acceptance page of a new notice
version, and the organisers' privacy page (/organise/privacy)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.auth import role_required
from lms.accounts.routes import safe_next
from lms.consent import processing, services
from lms.consent.forms import AcceptForm, ConsentButtonForm, PublishForm
from lms.consent.gate import must_accept
from lms.consent.models import HOW_LABELS, PURPOSE_LABELS, How, Purpose
from lms.errors import FieldError
from lms.i18n import viewer_zone, zone
from lms.transactions import commit_change

bp = Blueprint("consent", __name__)


@bp.context_processor
def reader_zone() -> dict:
    """Times on these pages are the reader's (Viet Nam time when they have none)."""
    return {"tz": viewer_zone() or zone("Asia/Ho_Chi_Minh")}


# -- the learner --------------------------------------------------------------------------


def consent_context(user) -> dict:
    """What the consents section of the learner's data page (/account/data, served by the
    privacy feature) shows: templates/consent/_consents.html."""
    return {
        "consents": services.consents_of(user),
        "active": services.active_purposes(user),
        "notice": services.current_notice(),
        "purposes": list(Purpose),
        "purpose_labels": PURPOSE_LABELS,
        "how_labels": HOW_LABELS,
        "consent_form": ConsentButtonForm(),
        "tz": viewer_zone() or zone("Asia/Ho_Chi_Minh"),
    }


def _purpose_or_404(purpose: str) -> Purpose:
    try:
        return Purpose(purpose)
    except ValueError:
        abort(404)


@bp.post("/account/data/consents/<purpose>/withdraw")
@login_required
def withdraw(purpose: str):
    _purpose_or_404(purpose)
    if not ConsentButtonForm().validate_on_submit():
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
    elif commit_change(
        lambda: services.withdraw(current_user._get_current_object(), purpose), flash_refusal=True
    ).ok:
        flash(_("Your consent is withdrawn, with effect from now."), "success")
    return redirect(url_for("privacy.data"))


@bp.post("/account/data/consents/<purpose>/give")
@login_required
def give(purpose: str):
    _purpose_or_404(purpose)
    if not ConsentButtonForm().validate_on_submit():
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
    elif commit_change(
        lambda: services.give_optional(current_user._get_current_object(), purpose), flash_refusal=True
    ).ok:
        flash(_("Thank you: your consent is recorded."), "success")
    return redirect(url_for("privacy.data"))


@bp.route("/account/privacy-notice", methods=["GET", "POST"])
@login_required
def reaccept():
    """A new notice version: read it and accept it before going on."""
    user = current_user._get_current_object()
    notice = services.current_notice()
    if notice is None or not must_accept(user):
        return redirect(safe_next(url_for("accounts.profile")))
    form = AcceptForm()
    error = None
    ticked = set(request.form.getlist("consent"))
    if form.validate_on_submit():
        outcome = commit_change(
            lambda: services.accept_notice(user, services.parse_purposes(ticked), How.REACCEPTANCE)
        )
        if outcome.ok:
            flash(
                _("Thank you: your consent to version %(version)s is recorded.", version=notice.version),
                "success",
            )
            return redirect(safe_next(url_for("accounts.profile")))
        error = outcome.error
    elif request.method == "POST":
        error = _("The form was incomplete, so nothing was changed. Please try again.")
    earlier = ", ".join(
        str(PURPOSE_LABELS[Purpose(purpose)])
        for purpose in sorted(
            {consent.purpose for consent in services.consents_of(user) if consent.is_active}
        )
        if purpose in Purpose.__members__.values()
    )
    return render_template(
        "consent/reaccept.html",
        notice=notice,
        form=form,
        error=error,
        ticked=ticked,
        earlier=earlier,
        next=safe_next(""),
    )


# -- organisers ---------------------------------------------------------------------------


@bp.get("/organise/privacy")
@role_required("organiser")
def organise():
    return render_template(
        "consent/organise.html",
        versions=services.notice_versions(),
        counts=services.consent_counts(),
        purpose_labels=PURPOSE_LABELS,
        record=processing.processing_record(),
    )


@bp.route("/organise/privacy/notices/new", methods=["GET", "POST"])
@role_required("organiser")
def publish():
    form = PublishForm.for_languages()
    if request.method == "GET":
        latest = services.current_notice()
        for locale, text in (latest.text if latest else {}).items():
            if f"text_{locale}" in form:
                form[f"text_{locale}"].data = text
    preview = None
    if form.validate_on_submit():
        if "preview" in request.form:
            preview = form.texts()
        else:
            outcome = commit_change(
                lambda: services.publish_notice(form.texts(), current_user._get_current_object())
            )
            if outcome.ok:
                flash(
                    _("Version %(version)s is published. Learners are asked to accept it at their next visit.",
                      version=outcome.value.version),
                    "success",
                )  # fmt: skip
                return redirect(url_for("consent.organise"))
            if isinstance(outcome.refusal, FieldError) and outcome.refusal.field in form:
                form[outcome.refusal.field].errors.append(outcome.error)
            else:
                flash(outcome.error, "error")
    elif request.method == "POST":
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
    return render_template("consent/publish.html", form=form, preview=preview)
