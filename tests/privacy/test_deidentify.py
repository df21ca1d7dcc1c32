"""De-identifying a person: nothing that names them or that they wrote remains in any
text of any table, every way into the account ends, the dashboard's figures stay, and
their certificate still verifies without a name."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import select

from lms.accounts.models import User
from lms.attendance.models import Attendance
from lms.catalogue.models import Course
from lms.errors import ServiceError
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.privacy import notify, services
from lms.privacy.models import PrivacyRequest
from lms.reports import dashboard
from tests.conftest import deliver_outbox, email_text
from tests.privacy.conftest import PASSWORD


def texts_holding(needles: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every value of every column of every table that
    contains one of ``needles`` (text, JSON rendered as text, bytes as UTF-8)."""
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            for column, value in row.items():
                if value is None:
                    continue
                if isinstance(value, bytes):
                    text = value.decode("utf-8", "replace")
                elif isinstance(value, dict | list):
                    text = json.dumps(value, ensure_ascii=False)
                else:
                    text = str(value)
                found += [
                    (table.name, column, needle) for needle in needles if needle.lower() in text.lower()
                ]
    return found


def figures(course_id: int):
    board = dashboard.build(db.session.get(Course, course_id))
    return board.registered, [(figure.key, figure.table) for figure in board.figures]


def test_deletion_removes_the_person_everywhere_and_keeps_the_figures(app, db, person):
    before = figures(person.course_id)
    assert texts_holding(person.secrets), "the set-up holds the person's data"
    run_id = db.session.scalar(select(Attendance.run_id).where(Attendance.user_id == person.user_id))
    reports = Path(app.instance_path) / "attendance-imports" / f"run-{run_id}"
    reports.mkdir(parents=True)
    (reports / ("0" * 64)).write_text("Name,Email\nTrần Thị Bích Ngọc Riêng,bichngoc.rieng@example.org\n")
    user = db.session.get(User, person.user_id)
    request = services.request_deletion(
        user, PASSWORD, reason="Tôi không muốn nhận email nữa, Bích Ngọc Riêng"
    )
    db.session.commit()
    services.process_deletion(request, db.session.get(User, person.organiser_id))
    db.session.commit()

    # the last email goes to the address they had; then the address is forgotten
    deliver_outbox(app)
    last = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == notify.DELETION_DONE)).one()
    message = message_from_bytes(last.raw, policy=policy.default)
    assert last.status == "sent" and message["To"] == "bichngoc.rieng@example.org"
    assert "tài khoản của bạn trên nền tảng đào tạo KCNST đã được xóa" in email_text(
        message
    )  # in their language
    assert notify.forget_sent_addresses() == 1
    db.session.commit()

    assert texts_holding(person.secrets) == []
    assert list(reports.iterdir()) == []  # the uploaded report naming them is gone too
    assert figures(person.course_id) == before
    user = db.session.get(User, person.user_id)
    assert user.email.startswith("deleted-") and user.email.endswith("@invalid")
    assert user.password_hash is None and user.calendar_token is None and user.deidentified_at
    other = db.session.get(User, person.other_id)
    assert other.full_name and other.email.endswith("@example.org")  # the others' stay
    assert db.session.get(PrivacyRequest, request.id).status == "done"
    # no email was left to go to them
    assert all(row.status != "queued" for row in db.session.scalars(select(OutboxMessage)))


def test_sessions_end_and_sign_in_fails(app, db, person):
    client = app.test_client()
    client.sign_in("bichngoc.rieng@example.org")
    assert client.get("/account/profile").status_code == 200
    request = services.request_deletion(db.session.get(User, person.user_id), PASSWORD)
    services.process_deletion(request, None)
    db.session.commit()
    assert client.get("/account/profile").status_code == 302  # the session no longer opens it
    response = client.submit("/account/login", {"email": "bichngoc.rieng@example.org", "password": PASSWORD})
    assert "/account/login" in response.request.path


def test_verify_says_the_name_was_removed(app, db, person):
    request = services.request_deletion(db.session.get(User, person.user_id), PASSWORD)
    services.process_deletion(request, None)
    db.session.commit()
    page = app.test_client().get(f"/verify/{person.certificate_code}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Riêng" not in text
    english = app.test_client().get(f"/verify/{person.certificate_code}?lang=en").get_data(as_text=True)
    assert "name was removed at their request" in english.replace("&#39;", "'")


def test_processing_twice_is_refused(app, db, person):
    request = services.request_deletion(db.session.get(User, person.user_id), PASSWORD)
    services.process_deletion(request, None)
    db.session.commit()
    deliver_outbox(app)
    row = db.session.get(PrivacyRequest, request.id)
    try:
        services.process_deletion(row, None)
    except ServiceError as refusal:
        assert str(refusal.message) == "Yêu cầu này đã được thực hiện."
    else:
        raise AssertionError("a second processing was accepted")
