"""The deletion ledger survives a restore of an older backup and de-identifies the
person again; retention's dry run names exactly whom the real run de-identifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lms.accounts.models import User
from lms.catalogue.models import Course
from lms.privacy import ledger, retention, services
from tests.core.test_backup import lms_command
from tests.factories import UserFactory, hold
from tests.privacy.conftest import PASSWORD, build_person


def test_a_restored_backup_does_not_bring_the_person_back(app, db, person, tmp_path):
    archive = tmp_path / "before-deletion.tar.gz"
    assert lms_command(app, "backup", str(archive)).exit_code == 0
    request = services.request_deletion(db.session.get(User, person.user_id), PASSWORD)
    services.process_deletion(request, None)
    db.session.commit()
    written = ledger.ledger_path().read_text()
    assert "bichngoc" not in written and "Riêng" not in written and "@" not in written
    assert ledger.identifier("BichNgoc.Rieng@example.org ") in written

    # restoring, and declining to re-apply at once: listed, left for later
    declined = lms_command(app, "restore", str(archive), input="y\nn\n")
    assert declined.exit_code == 0, declined.output
    assert "lists 1 account(s)" in declined.output and "not done" in declined.output
    db.session.expire_all()
    assert db.session.get(User, person.user_id).email == "bichngoc.rieng@example.org"  # back, as restored

    again = lms_command(app, "privacy", "reapply-ledger", "--yes")
    assert again.exit_code == 0 and "1 account(s) de-identified again" in again.output, again.output
    db.session.expire_all()
    user = db.session.get(User, person.user_id)
    assert user.deidentified_at is not None and user.email.startswith("deleted-")
    assert db.session.get(User, person.other_id).deidentified_at is None
    assert "lists nobody" in lms_command(app, "privacy", "reapply-ledger", "--yes").output

    # with --yes the restore re-applies the ledger itself
    restored = lms_command(app, "restore", str(archive), "--yes")
    assert "1 account(s) de-identified again" in restored.output, restored.output


def test_retention_dry_run_equals_the_real_run(app, db):
    old = build_person(ends_days_ago=6 * 365)
    keeper = UserFactory(keep_account=True)
    staff = UserFactory(roles=["trainer"])
    course = db.session.get(Course, old.course_id)
    for user in (keeper, staff):
        hold(user, course.modules[0].runs[0])
    recent = build_person(ends_days_ago=30, email="recent@example.org")
    db.session.commit()

    dry = lms_command(app, "privacy", "retention", "--dry-run")
    assert dry.exit_code == 0, dry.output
    listed = {person.user_id for person in retention.due_for_retention()}
    assert listed == {old.user_id, old.other_id}
    assert db.session.scalars(select(User).where(User.deidentified_at.is_not(None))).all() == []

    real = lms_command(app, "privacy", "retention")
    assert real.exit_code == 0, real.output
    assert real.output.splitlines()[:-1] == dry.output.splitlines()[:-1]
    db.session.expire_all()
    done = set(db.session.scalars(select(User.id).where(User.deidentified_at.is_not(None))))
    assert done == listed
    assert recent.user_id not in done and keeper.id not in done and staff.id not in done
    assert retention.due_for_retention() == []


def test_cutoff_handles_29_february():
    assert retention.cutoff(datetime(2028, 2, 29, tzinfo=UTC), 5) == datetime(2023, 2, 28, tzinfo=UTC)
    assert retention.cutoff(datetime(2026, 6, 1, tzinfo=UTC), 5) - datetime(
        2021, 6, 1, tzinfo=UTC
    ) == timedelta(0)
