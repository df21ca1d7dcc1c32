"""``flask --app wsgi lms ...``: everything an organiser scripts."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from lms.accounts.models import Role
from lms.accounts.services import create_user, find_user_by_email, grant_roles
from lms.errors import ServiceError
from lms.extensions import db
from lms.modules.content import ContentError, load_course_folder

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
    """Create or update a course from a content folder (safe to run again)."""
    try:
        report = load_course_folder(folder)
    except ContentError as error:
        raise click.ClickException(f"invalid content, nothing was changed: {error}") from None
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
    """Send the emails waiting in the outbox (run it from cron if delivery is deferred)."""
    from lms.mail.services import deliver_pending

    click.echo(f"sent {deliver_pending()} message(s)")


@lms_group.command("send-reminders")
def send_reminders_command():
    """Email a reminder to each learner whose session starts within 24 hours (run it from cron)."""
    from lms.db import utcnow
    from lms.enrollment.reminders import send_reminders
    from lms.mail.services import deliver_pending

    count = send_reminders(utcnow())
    db.session.commit()
    deliver_pending()
    click.echo(f"sent {count} reminder(s)")


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

    from lms.organise.services import copy_edition, find_edition

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
