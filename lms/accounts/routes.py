from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.accounts import services
from lms.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    ResetForm,
    ResetRequestForm,
    SignupForm,
)
from lms.extensions import limiter
from lms.i18n import current_locale
from lms.signals import account_created, signup_checked
from lms.transactions import commit_change, reads_first
from lms.urls import external_url

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _limit(setting: str):
    return limiter.limit(lambda: current_app.config[setting], methods=["POST"])


def _limit_per_email(setting: str):
    """A second limit keyed by the email typed, so one account cannot be hammered
    from many addresses."""
    return limiter.limit(
        lambda: current_app.config[setting],
        methods=["POST"],
        key_func=lambda: "email:" + services.normalise_email(request.form.get("email", "")),
    )


def safe_next(default: str) -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and "\\" not in target:
        return target
    return default


def start_session(user, remember: bool = False) -> None:
    """A fresh session at sign-in (no fixation), keeping the chosen language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    login_user(user, remember=remember)


@bp.route("/signup", methods=["GET", "POST"])
@_limit("SIGNUP_RATE_LIMIT")
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = SignupForm(locale=current_locale())
    # What other features ask on the form (consent: the purposes ticked), checked with it.
    refusals = [
        message for _receiver, message in signup_checked.send(None, form=request.form) if message
    ] if request.method == "POST" else []  # fmt: skip
    consent_error = refusals[0] if refusals else None
    if form.validate_on_submit() and not refusals:

        def create_account():
            user = services.create_user(form.email.data, password=form.password.data, **form.profile_data())
            # Consent (a package above this one) records what was ticked, or refuses.
            account_created.send(user, form=request.form)
            return user

        outcome = commit_change(create_account)
        field_name = getattr(outcome.refusal, "field", None)
        if not outcome.ok and field_name is not None and field_name not in form:
            consent_error = outcome.error
        elif not outcome.ok:
            form.email.errors.append(outcome.error)
        else:
            user = outcome.value
            start_session(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.full_name), "success")
            return redirect(safe_next(url_for("accounts.profile")))
    return render_template(
        "accounts/signup.html",
        form=form,
        ticked=set(request.form.getlist("consent")),
        consent_error=consent_error,
    )


@bp.route("/login", methods=["GET", "POST"])
@_limit("LOGIN_RATE_LIMIT")
@_limit_per_email("LOGIN_RATE_LIMIT")
@reads_first  # the password check runs in a read transaction, the sign-in's writes after it
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("accounts.profile")))
    form = LoginForm()
    if form.validate_on_submit():
        user = commit_change(lambda: services.authenticate(form.email.data, form.password.data)).value
        if user is None:
            form.password.errors.append(_("The email or password is not correct."))
        else:
            start_session(user, remember=form.remember.data)
            flash(_("You are signed in."), "success")
            return redirect(safe_next(url_for("accounts.profile")))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # Signing out ends the session on every device (sessions are signed cookies:
        # a copy left behind would otherwise still open the account).
        commit_change(lambda: services.end_sessions(current_user._get_current_object()))
    logout_user()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    flash(_("You are signed out."), "info")
    return redirect(url_for("catalogue.catalogue"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        commit_change(lambda: services.update_profile(current_user, **form.profile_data()))
        session["lang"] = current_user.locale
        flash(_("Your profile is saved."), "success")
        return redirect(safe_next(url_for("accounts.profile")))
    return render_template("accounts/profile.html", form=form, user=current_user, **calendar_links())


def calendar_links() -> dict:
    """The personal calendar feed, as a subscribe link and a plain address.

    Accounts get their token when they are created; one without (never expected) is
    offered a button to create it rather than writing during this GET.
    """
    token = current_user.calendar_token
    if not token:
        return {"calendar_url": None, "calendar_webcal_url": None}
    feed_url = external_url("calendars.personal_feed", token=token)
    return {"calendar_url": feed_url, "calendar_webcal_url": "webcal://" + feed_url.split("://", 1)[1]}


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        outcome = commit_change(
            lambda: services.change_password(current_user, form.current_password.data, form.password.data)
        )
        if not outcome.ok:
            form.current_password.errors.append(outcome.error)
        else:
            # Other devices are signed out by the new session version; this one
            # continues in a fresh session.
            start_session(current_user._get_current_object())
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
@_limit_per_email("RESET_RATE_LIMIT")
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        commit_change(lambda: services.request_password_reset(form.email.data))
        # The same answer whether or not the account exists.
        flash(
            _("If an account exists for %(email)s, we have sent it a link to choose a new password. The link works once, for a limited time.", email=form.email.data),
            "info",
        )  # fmt: skip
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def reset_password(token: str):
    if services.valid_reset_token(token) is None:
        flash(_("This reset link is invalid, expired or already used. Please ask for a new one."), "error")
        return redirect(url_for("accounts.request_reset"))
    form = ResetForm()
    if form.validate_on_submit():
        if not commit_change(
            lambda: services.reset_password(token, form.password.data), flash_refusal=True
        ).ok:
            return redirect(url_for("accounts.request_reset"))
        flash(_("Your new password is set. Please sign in."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, token=token)
