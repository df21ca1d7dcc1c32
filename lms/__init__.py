"""The EIP training platform: create_app() builds the Flask application."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, request

from lms import caching, extensions, security
from lms.config import Config
from lms.numbers import IntegerConverter

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: object | dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    # Before any route: <int:...> takes only ids an INTEGER column holds (else 404).
    app.url_map.converters["int"] = IntegerConverter
    configure(app, config)
    register_extensions(app)
    register_jobs(app)
    register_personal_data_holders()
    security.init_app(app)
    caching.init_app(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_template_helpers(app)
    connect_signals()
    register_error_handlers(app)
    register_commands(app)
    return app


def configure(app: Flask, config: object | dict | None) -> None:
    if config is None:
        config = Config()
    if isinstance(config, dict):
        app.config.from_mapping(vars(Config()) | config)
    else:
        app.config.from_object(config)
    app.instance_path = app.config["INSTANCE_PATH"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def engine_options(config) -> dict:
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # sqlite3's ``timeout`` is SQLite's busy timeout: how long a write waits its turn.
        timeout = config.get("SQLITE_BUSY_TIMEOUT", 30)
        return {"connect_args": {"timeout": timeout, "check_same_thread": False}}
    return {"pool_pre_ping": True}


def register_extensions(app: Flask) -> None:
    from lms.i18n import select_locale

    # Imported as a module: a package attribute named `db` would shadow lms.db.
    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    extensions.csrf.init_app(app)
    extensions.babel.init_app(app, locale_selector=select_locale)
    extensions.limiter.init_app(app)
    extensions.login_manager.init_app(app)
    from lms import models  # noqa: F401  (every table on the metadata)
    from lms.accounts import auth  # noqa: F401  (registers the user loader)


def register_jobs(app: Flask) -> None:
    """The queue, the kinds of email each domain sends, the modules declaring jobs and
    the kinds of long work organisers start (lms.jobs.tracking).

    Explicit on purpose: a worker knows exactly the jobs and emails listed here.
    """
    from lms.accounts import notify as account_mail
    from lms.certificates import follow_up  # noqa: F401  (declares the follow-up's periodic job)
    from lms.certificates import jobs as certificate_jobs
    from lms.certificates import services as certificate_mail
    from lms.enrollment import notify as enrollment_mail
    from lms.enrollment import reminders as reminder_mail
    from lms.enrollment import tasks as enrollment_tasks  # noqa: F401  (declares periodic jobs)
    from lms.evaluations import invitations as evaluation_mail
    from lms.evaluations import tasks as evaluation_tasks  # noqa: F401  (declares periodic jobs)
    from lms.jobs import queue, tracking  # tracking declares the job runner and its sweep
    from lms.mail import tasks as mail_tasks  # noqa: F401  (declares the mail jobs)
    from lms.mail.kinds import register_kinds
    from lms.messages import notify as participant_mail
    from lms.messages import tasks as message_tasks  # noqa: F401  (declares the sending jobs)
    from lms.organise import notify as run_mail
    from lms.privacy import download as privacy_jobs
    from lms.privacy import notify as privacy_mail
    from lms.privacy import tasks as privacy_tasks  # noqa: F401  (declares periodic jobs)
    from lms.quizzes import notify as quiz_mail
    from lms.recordings import notify as recording_mail
    from lms.reports import jobs as report_jobs

    queue.init_app(app)
    for declaring in (account_mail, enrollment_mail, reminder_mail, run_mail, quiz_mail, evaluation_mail,
                      certificate_mail, privacy_mail, participant_mail, recording_mail):  # fmt: skip
        register_kinds(declaring.MAIL_KINDS)
    for declaring in (certificate_jobs, report_jobs, privacy_jobs):
        tracking.register_job_kinds(declaring.JOB_KINDS)


def register_personal_data_holders() -> None:
    """Each domain's declaration of the personal data it holds (lms.personal_data):
    the learner's data download and de-identification cover exactly these."""
    from lms.accounts import personal_data as accounts
    from lms.attendance import personal_data as attendance
    from lms.audit import personal_data as audit
    from lms.certificates import personal_data as certificates
    from lms.completion import personal_data as completion
    from lms.consent import personal_data as consent_data
    from lms.enrollment import personal_data as enrollment
    from lms.evaluations import personal_data as evaluations
    from lms.mail import personal_data as mail
    from lms.messages import personal_data as messages
    from lms.personal_data import register_personal_data
    from lms.privacy import personal_data as privacy
    from lms.quizzes import personal_data as quizzes
    from lms.recordings import personal_data as recordings

    for declaring in (
        accounts,
        consent_data,
        enrollment,
        attendance,
        quizzes,
        evaluations,
        completion,
        certificates,
        audit,
        mail,
        messages,
        privacy,
        recordings,
    ):
        register_personal_data(declaring.PERSONAL_DATA)


def register_blueprints(app: Flask) -> None:
    from lms.accounts.routes import bp as accounts
    from lms.attendance.checkin_routes import bp as checkin
    from lms.attendance.join_routes import bp as joining
    from lms.attendance.routes import bp as attendance
    from lms.catalogue.api import bp as api
    from lms.certificates.routes import bp as certificates
    from lms.consent.routes import bp as consent
    from lms.enrollment.calendar_routes import bp as calendars
    from lms.enrollment.routes import bp as enrollment
    from lms.evaluations.routes import bp as evaluations
    from lms.health import bp as health
    from lms.materials.routes import bp as materials
    from lms.messages.inbox import bp as inbox
    from lms.messages.routes import bp as messages
    from lms.organise.evaluations import bp as organise_evaluations
    from lms.organise.routes import bp as organise
    from lms.pages.catalogue import bp as catalogue
    from lms.pages.progress import bp as progress
    from lms.pages.schedule import bp as schedule
    from lms.pages.teach import bp as teach
    from lms.privacy.routes import bp as privacy
    from lms.quizzes.routes import bp as quizzes
    from lms.recordings.routes import bp as recordings
    from lms.reports.results import bp as results
    from lms.reports.routes import bp as reports

    app.register_blueprint(health)
    app.register_blueprint(catalogue)
    app.register_blueprint(schedule)
    app.register_blueprint(progress)
    app.register_blueprint(teach)
    app.register_blueprint(accounts)
    app.register_blueprint(consent)
    app.register_blueprint(attendance)
    app.register_blueprint(joining)
    app.register_blueprint(checkin)
    app.register_blueprint(certificates)
    app.register_blueprint(calendars)
    app.register_blueprint(enrollment)
    app.register_blueprint(evaluations)
    app.register_blueprint(materials)
    app.register_blueprint(quizzes)
    app.register_blueprint(organise)
    app.register_blueprint(organise_evaluations)
    app.register_blueprint(reports)
    app.register_blueprint(results)
    app.register_blueprint(messages)
    app.register_blueprint(inbox)
    app.register_blueprint(recordings)
    app.register_blueprint(privacy)
    app.register_blueprint(api)
    extensions.csrf.exempt(api)


def register_request_hooks(app: Flask) -> None:
    from lms.accounts.language import remember_requested_locale
    from lms.consent.gate import require_current_consent
    from lms.db import reset_write_intent, set_write_intent
    from lms.transactions import view_reads_first, view_writes

    @app.before_request
    def declare_write_intent():
        # GET pages read; other methods write and take SQLite's write lock up front, as
        # do views marked @writes, except views marked @reads_first (their service takes
        # the lock after reading). `?lang=` may save a signed-in user's preference, so it
        # counts as a write.
        view = app.view_functions.get(request.endpoint)
        writes = (
            (request.method not in ("GET", "HEAD", "OPTIONS") and not view_reads_first(view))
            or "lang" in request.args
            or view_writes(view)
        )
        request.environ["lms.write_intent"] = set_write_intent(writes)

    app.before_request(remember_requested_locale)
    # After the locale: a learner who has not accepted the notice in force reads it first.
    app.before_request(require_current_consent)

    @app.teardown_request
    def forget_write_intent(exc):
        token = request.environ.pop("lms.write_intent", None)
        if token is not None:
            reset_write_intent(token)


def connect_signals() -> None:
    """Where one domain reacts to another, wired here and nowhere else."""
    from flask_login import user_logged_in

    from lms.certificates.services import issue_on_completion
    from lms.consent.gate import remember_checked
    from lms.consent.signup import check_signup_consents, record_signup_consents
    from lms.signals import account_created, progress_changed, signup_checked

    # Attendance marks and imports, quiz grading and completion exceptions tell that a
    # learner's progress changed; certificates are issued the moment someone completes.
    progress_changed.connect(issue_on_completion)
    # The sign-up form (accounts) carries the consent checkboxes; consent records them.
    signup_checked.connect(check_signup_consents)
    account_created.connect(record_signup_consents)
    # A learner who has accepted the notice in force is not checked again on each request.
    user_logged_in.connect(remember_checked)


def register_template_helpers(app: Flask) -> None:
    from lms.accounts.choices import role_labels
    from lms.certificates.services import display_code
    from lms.consent.models import purpose_choices
    from lms.i18n import template_helpers
    from lms.markdown import render_markdown

    app.jinja_env.globals.update(
        template_helpers(),
        role_labels=role_labels,
        display_code=display_code,
        consent_purposes=purpose_choices,
    )
    app.jinja_env.filters["markdown"] = render_markdown


def register_error_handlers(app: Flask) -> None:
    from lms.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from lms.cli import lms_group

    app.cli.add_command(lms_group)
