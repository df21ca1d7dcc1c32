"""``flask --app wsgi lms ...``: everything an organiser scripts."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from lms import backup
from lms.accounts.models import Role
from lms.accounts.services import create_user, find_user_by_email, grant_roles
from lms.catalogue.content import ContentError
from lms.course_folders import load_course_folder
from lms.errors import ServiceError
from lms.extensions import db

lms_group = AppGroup("lms", help="EIP training platform commands.")

ROLE_NAMES = [str(role) for role in Role]


@lms_group.command("create-user")
@click.argument("email")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLE_NAMES), default=["learner"],
              show_default=True, help="Repeat for several roles.")  # fmt: skip
@click.option("--name", "full_name", help="Full name (default: the part of the email before @).")
@click.option("--password", help="Password; asked for when not given.")
@click.option("--locale", default="vi", show_default=True)
def create_user_command(email, roles, full_name, password, locale):
    """Create an account, or add roles to an existing one."""
    user = find_user_by_email(email)
    if user is not None:
        grant_roles(user, list(roles))
        db.session.commit()
        click.echo(f"{user.email} exists; roles now: {', '.join(sorted(user.role_names))}")
        return
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            email, full_name or email.split("@")[0], password=password, roles=roles, locale=locale
        )
    except ServiceError as error:
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"created {user.email} with roles: {', '.join(sorted(user.role_names))}")


@lms_group.command("load-content")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def load_content_command(folder: Path):
    """Create or update a course from a content folder (safe to run again); publishes
    the shipped privacy notice as version 1 if none is published yet."""
    from lms.consent.shipped import publish_shipped_notice

    try:
        report = load_course_folder(folder)
    except ContentError as error:
        raise click.ClickException(f"invalid content, nothing was changed: {error}") from None
    if publish_shipped_notice() is not None:
        db.session.commit()
        click.echo("privacy notice: version 1 published")
    if report.created:
        click.echo(f"course {report.slug}: created")
    elif report.changes:
        click.echo(f"course {report.slug}: updated ({len(report.changes)} changes)")
        for change in report.changes:
            click.echo(f"  - {change}")
    else:
        click.echo(f"course {report.slug}: unchanged")


@lms_group.command("demo")
def demo_command():
    """Load the shipped course, a demo edition scheduled from today, and demo accounts."""
    from lms.demo import load_demo

    for line in load_demo():
        click.echo(line)


@lms_group.command("send-mail")
def send_mail_command():
    """Send every email that is due now, in this process (workers do it on their own)."""
    from lms.mail.delivery import deliver_due

    report = deliver_due()
    click.echo(f"sent {report.sent} message(s), {report.retrying} to retry later, {report.failed} failed")
    for error in report.errors[:20]:
        click.echo(f"  - {error}", err=True)


@lms_group.command("send-reminders")
def send_reminders_command():
    """Queue a reminder for each learner whose session starts within 24 hours (job
    workers do it every five minutes; this is the manual trigger)."""
    from lms.db import utcnow
    from lms.enrollment.reminders import send_reminders

    count = send_reminders(utcnow())
    db.session.commit()
    click.echo(f"queued {count} reminder(s)")


@lms_group.command("worker")
@click.option("--threads", type=click.IntRange(1, 64), default=None,
              help="Jobs run at once (default: LMS_WORKER_THREADS, 2).")  # fmt: skip
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the schedule (reminders, retries). Once per machine is enough.")  # fmt: skip
@click.option("--nice", type=click.IntRange(0, 19), default=None,
              help="Lower the worker's scheduling priority by this much (default: LMS_WORKER_NICE).")  # fmt: skip
def worker_command(threads, periodic, nice):
    """Run background jobs (email, reminders, exports) until stopped."""
    from flask import current_app

    from lms.jobs.worker import run_worker

    config = current_app.config
    run_worker(
        threads or config["WORKER_THREADS"],
        periodic=periodic,
        nice=config["WORKER_NICE"] if nice is None else nice,
    )


@lms_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve_command(host, port):
    """Serve the app and run a job worker beside it (what `make run` does)."""
    from lms.serve import serve_with_worker

    serve_with_worker(host, port)


@lms_group.command("copy-edition")
@click.argument("source")
@click.argument("new_slug")
@click.option(
    "--starts-on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="First day of the new edition (the same weekday as the source's first day).",
)
@click.option("--by", "organiser_email", required=True, help="The organiser doing it (for the audit log).")  # fmt: skip
def copy_edition_command(source, new_slug, starts_on, organiser_email):
    """Copy edition SOURCE as a new draft edition NEW_SLUG, every date moved."""
    from flask_babel import force_locale

    from lms.organise.copying import copy_edition
    from lms.organise.editions import find_edition

    course = find_edition(source)
    organiser = find_user_by_email(organiser_email)
    if course is None:
        raise click.ClickException(f"no edition {source!r}")
    if organiser is None or not organiser.has_role(Role.ORGANISER):
        raise click.ClickException(f"{organiser_email} is not an organiser")
    with force_locale("en"):
        try:
            copy = copy_edition(course, new_slug, starts_on.date(), organiser)
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            raise click.ClickException(f"nothing was copied: {error.message}") from None
    click.echo(
        f"edition {copy.slug}: created as a draft, {len(copy.runs)} runs from {copy.starts_at:%Y-%m-%d %H:%M} UTC"
    )


certificates_group = AppGroup("certificates", help="Issue and export certificates of completion.")
lms_group.add_command(certificates_group)


@certificates_group.command("issue")
@click.argument("slug")
def issue_certificates_command(slug: str):
    """Issue a certificate to every learner of the edition who completed it (safe to repeat)."""
    from lms.catalogue.models import Course
    from lms.certificates.services import issue_for_course

    course = db.session.scalar(db.select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"no course with the slug {slug!r}")
    issued, held = issue_for_course(course)
    db.session.commit()
    click.echo(f"course {slug}: {issued} certificate(s) issued, {held} learner(s) already had one")


@certificates_group.command("zip")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def zip_certificates_command(slug: str, output: Path):
    """Write every valid certificate of the edition into one ZIP file."""
    from lms.catalogue.models import Course
    from lms.certificates.services import write_zip_of_course
    from lms.consent.exports import log_personal_data_export

    course = db.session.scalar(db.select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"no course with the slug {slug!r}")
    with output.open("wb") as stream:
        count = write_zip_of_course(course, stream)
    log_personal_data_export(output.name, count, actor_id=None, course_id=course.id, via="cli")
    db.session.commit()
    click.echo(f"wrote {count} certificate(s) to {output}")


@lms_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path):
    """Back up the database and the uploaded files into FILE (safe while the platform runs)."""
    try:
        summary = backup.backup(file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"backed up the {summary.backend} database (revision {summary.revision}) and {summary.files} "
        f"material file(s) to {file}: {summary.size:,} bytes in {summary.seconds:.1f} s"
    )


@lms_group.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the data without asking.")
def restore_command(file: Path, yes: bool):
    """Replace the database and the uploaded files with those of a backup made by `lms backup`."""
    try:
        manifest = backup.describe(file)
    except backup.BackupError as error:
        raise click.ClickException(f"{error}; nothing was changed") from None
    target = backup.database_url().render_as_string(hide_password=True)
    click.echo(
        f"{file}: a {manifest['backend']} backup made {manifest['created_at']} "
        f"(revision {manifest['revision']}, {manifest['files']} material file(s))"
    )
    if not yes:
        click.confirm(f"Replace every row of {target} and every material file with it?", abort=True)
    try:
        summary = backup.restore(file)
    except backup.BackupError as error:
        raise click.ClickException(f"{error}; nothing was changed") from None
    click.echo(f"restored the database and {summary.files} material file(s) in {summary.seconds:.1f} s")
    head = backup.head_revision()
    if summary.revision != head:
        click.echo(
            f"the backup's schema is {summary.revision}, this version's is {head}: run `flask --app wsgi db upgrade`"
        )
        click.echo("then `flask --app wsgi lms privacy reapply-ledger`: deletions made since the backup")
        return
    db.session.remove()
    db.engine.dispose()  # the connections of before the restore
    _reapply_ledger(yes)


# -- personal data --------------------------------------------------------------------

privacy_group = AppGroup("privacy", help="Learners' data requests, retention and the deletion ledger.")
lms_group.add_command(privacy_group)


@privacy_group.command("requests")
def privacy_requests_command():
    """List open requests with their deadlines (overdue first)."""
    from lms.privacy import services as privacy

    rows = privacy.requests_in("open")
    if not rows:
        click.echo("no open request")
    for row in rows:
        item = row.request
        state = f"OVERDUE by {-row.days_left} day(s)" if row.overdue else f"{row.days_left} day(s) left"
        click.echo(f"#{item.id}\t{item.kind}\tuser {item.user_id} <{item.user.email}>\tasked {item.created_at:%Y-%m-%d}"
                   f"\tdue {item.due_at:%Y-%m-%d}\t{state}")  # fmt: skip


@privacy_group.command("process")
@click.argument("request_id", type=int)
def privacy_process_command(request_id: int):
    """Carry out request REQUEST_ID: de-identify the person and email them."""
    from lms.privacy import services as privacy
    from lms.privacy.models import PrivacyRequest

    row = db.session.get(PrivacyRequest, request_id)
    if row is None:
        raise click.ClickException(f"no request #{request_id}")
    try:
        privacy.process(row, None)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    click.echo(
        f"request #{request_id} carried out: user {row.user_id} de-identified"
    )  # only deletions get here


@privacy_group.command("retention")
@click.option("--dry-run", is_flag=True, help="Only list who would be de-identified.")
def privacy_retention_command(dry_run: bool):
    """De-identify learners whose last edition ended LMS_RETENTION_YEARS ago."""
    from lms.privacy import retention

    people = retention.due_for_retention() if dry_run else retention.apply_retention()
    for person in people:
        click.echo(f"user {person.user_id}\t{person.email}\t{person.full_name}"
                   f"\tlast edition ended {person.last_edition_ended_at:%Y-%m-%d}")  # fmt: skip
    verb = "would be" if dry_run else "were"
    click.echo(f"{len(people)} learner(s) {verb} de-identified")


@privacy_group.command("reapply-ledger")
@click.option("--yes", is_flag=True, help="De-identify them without asking.")
def privacy_ledger_command(yes: bool):
    """De-identify again the people a restored backup brought back (from the ledger)."""
    _reapply_ledger(yes)


def _reapply_ledger(yes: bool) -> None:
    from lms.privacy.deidentify import BY_LEDGER, deidentify, restored_but_deleted

    people = restored_but_deleted()
    if not people:
        click.echo("the deletion ledger lists nobody in this database")
        return
    click.echo(f"the deletion ledger lists {len(people)} account(s) of this database as deleted:")
    for user in people:
        click.echo(f"  user {user.id}")
    if not yes and not click.confirm("De-identify them again now?", default=True):
        click.echo("not done: run `flask --app wsgi lms privacy reapply-ledger` to do it later")
        return
    for user in people:
        deidentify(user, BY_LEDGER)
    db.session.commit()
    click.echo(f"{len(people)} account(s) de-identified again")


# -- exports --------------------------------------------------------------------------

export_group = AppGroup(
    "export", help="Write an edition's registrations, attendance or quiz results to a file."
)
lms_group.add_command(export_group)


def _export_command(name: str, kind):
    @click.argument("slug")
    @click.option(
        "--format", "file_format", type=click.Choice(["csv", "xlsx"]), default="xlsx", show_default=True
    )
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="The file to write.")  # fmt: skip
    @click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
                  help="Language of the headers and labels.")  # fmt: skip
    def command(slug: str, file_format: str, output: Path, lang: str):
        from flask_babel import force_locale

        from lms.consent.exports import log_personal_data_export
        from lms.reports.data import find_course
        from lms.spreadsheets import csv_bytes, write_workbook

        course = find_course(slug)
        if course is None:
            raise click.ClickException(f"no course with the slug {slug!r}")
        with force_locale(lang):
            table = kind.build(course)
            if file_format == "csv":
                output.write_bytes(csv_bytes(table.header, table.rows))
            else:
                write_workbook(str(output), [table])
        log_personal_data_export(
            output.name, table.people or 0, actor_id=None, course_id=course.id, via="cli"
        )
        db.session.commit()
        click.echo(f"{output}: {len(table.rows)} row(s)")

    command.__doc__ = str(kind.description)
    return export_group.command(name, help=kind.description)(command)


def _register_export_commands() -> None:
    from lms.reports.exports import EXPORTS

    for name, kind in EXPORTS.items():
        _export_command(name, kind)


_register_export_commands()
