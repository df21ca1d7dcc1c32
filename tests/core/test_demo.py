"""`flask lms demo`: the shipped course, an open demo edition and demo accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.accounts.services import authenticate
from lms.catalogue.models import Course, RegistrationState, Run
from lms.demo import DEMO_PASSWORD


def run_demo(app):
    result = app.test_cli_runner().invoke(args=["lms", "demo"])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_loads_both_editions_and_accounts_and_is_idempotent(app, db):
    output = run_demo(app)
    assert "course eip-2023: created" in output
    assert "course eip-demo: created" in output
    assert DEMO_PASSWORD in output
    counts = (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Run.id))))
    output = run_demo(app)
    assert "course eip-demo: exists" in output
    db.session.expire_all()
    assert counts == (
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(Run.id))),
    )
    assert counts[1] == 24  # two editions of six modules with two runs


def test_demo_edition_is_open_with_runs_ahead(app, db):
    run_demo(app)
    demo = db.session.scalar(select(Course).where(Course.slug == "eip-demo"))
    now = datetime.now(UTC)
    assert demo.registration_state(now) == RegistrationState.OPEN
    assert demo.title["en"].endswith("(demo edition)")
    first = min(run.starts_at for run in demo.runs)
    assert now + timedelta(days=14) < first < now + timedelta(days=35)
    assert demo.registration_closes_at < first
    # Same weekday and local time of day as the 2023 schedule.
    original = db.session.scalar(select(Course).where(Course.slug == "eip-2023"))
    first_2023 = min(run.starts_at for run in original.runs).astimezone(original.zone)
    first_demo = first.astimezone(demo.zone)
    assert (first_demo.weekday(), first_demo.time()) == (first_2023.weekday(), first_2023.time())


def test_demo_accounts_can_sign_in_with_their_roles(app, db):
    run_demo(app)
    for email, role in [
        ("organiser@demo.example.org", "organiser"),
        ("learner@demo.example.org", "learner"),
        ("lan.nguyen@trainers.example.org", "trainer"),
    ]:
        user = authenticate(email, DEMO_PASSWORD)
        assert user is not None, email
        assert user.has_role(role)
