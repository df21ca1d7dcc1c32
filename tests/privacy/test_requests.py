"""Asking for deletion (/account/delete), the organisers' queue and the CLI."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.db import utcnow
from lms.privacy.models import PrivacyRequest
from tests.factories import UserFactory
from tests.privacy.conftest import PASSWORD


def count_requests(db) -> int:
    return db.session.scalar(select(func.count()).select_from(PrivacyRequest))


def test_learner_asks_with_password_and_a_second_request_is_refused(app, db, person):
    client = app.test_client()
    client.sign_in("bichngoc.rieng@example.org")
    client.get("/account/data?lang=en")
    wrong = client.submit("/account/delete", {"reason": "", "password": "not my password"})
    assert wrong.status_code == 200 and count_requests(db) == 0
    assert "The password is not correct." in wrong.get_data(as_text=True)
    done = client.submit("/account/delete", {"reason": "Tôi đã đổi công việc", "password": PASSWORD})
    assert "/account/data" in done.request.path
    assert count_requests(db) == 1
    row = db.session.scalars(select(PrivacyRequest)).one()
    assert row.status == "open" and row.reason == "Tôi đã đổi công việc"
    assert timedelta(days=14, hours=23) < row.due_at - row.created_at <= timedelta(days=15)
    again = client.submit("/account/delete", {"reason": "", "password": PASSWORD})
    assert "You have already asked for your account to be deleted" in again.get_data(as_text=True)
    assert count_requests(db) == 1


def test_queue_shows_days_left_and_overdue_and_processes(app, db, person):
    user = db.session.get(User, person.user_id)
    late = UserFactory(full_name="Lê Văn Trễ")
    db.session.add_all([
        PrivacyRequest(user_id=user.id, kind="deletion", reason="", created_at=utcnow(), due_at=utcnow() + timedelta(days=15)),
        PrivacyRequest(user_id=late.id, kind="deletion", reason="", created_at=utcnow() - timedelta(days=20),
                       due_at=utcnow() - timedelta(days=5)),
    ])  # fmt: skip
    db.session.commit()
    client = app.test_client()
    organiser = db.session.get(User, person.organiser_id)
    client.sign_in(organiser.email)
    page = client.get("/organise/privacy/requests?lang=en").get_data(as_text=True)
    assert "15 days left" in page and "overdue by 5 days" in page
    overdue = client.get("/organise/privacy/requests?state=overdue&lang=en").get_data(as_text=True)
    assert "Lê Văn Trễ" in overdue and "Bích Ngọc" not in overdue
    request_id = db.session.scalar(select(PrivacyRequest.id).where(PrivacyRequest.user_id == user.id))
    client.submit(f"/organise/privacy/requests/{request_id}/process", {})
    db.session.expire_all()
    assert db.session.get(PrivacyRequest, request_id).status == "done"
    assert db.session.get(User, person.user_id).deidentified_at is not None
    done = client.get("/organise/privacy/requests?state=done&lang=en").get_data(as_text=True)
    assert f"#{request_id}" in done and "Bích Ngọc" not in done
    audit = client.get("/organise/audit?lang=en").get_data(as_text=True)
    assert "De-identified a person&#39;s data" in audit and "at their request" in audit
    assert "Carried out a request to delete an account" in audit and "Data request" in audit


def test_cli_lists_and_processes(app, db, person):
    user = db.session.get(User, person.user_id)
    row = PrivacyRequest(user_id=user.id, kind="deletion", reason="", created_at=utcnow(),
                         due_at=utcnow() + timedelta(days=15))  # fmt: skip
    db.session.add(row)
    db.session.commit()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["lms", "privacy", "requests"])
    assert listed.exit_code == 0 and f"#{row.id}" in listed.output and "15 day(s) left" in listed.output
    processed = runner.invoke(args=["lms", "privacy", "process", str(row.id)])
    assert processed.exit_code == 0, processed.output
    again = runner.invoke(args=["lms", "privacy", "process", str(row.id)])
    assert again.exit_code != 0 and "Yêu cầu này đã được thực hiện." in again.output
    db.session.expire_all()
    assert db.session.get(User, person.user_id).deidentified_at is not None
    assert runner.invoke(args=["lms", "privacy", "process", "999999"]).exit_code != 0
