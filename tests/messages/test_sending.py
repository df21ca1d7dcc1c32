"""Sending: each recipient once, in their language (the other one marked as a fallback),
at the scheduled time and not before, opt-outs respected, safe with two jobs at once."""

from __future__ import annotations

import contextvars
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.audit.models import AuditEvent
from lms.errors import FieldError, ServiceError
from lms.extensions import db as database
from lms.mail.models import OutboxMessage
from lms.messages import sending, services
from lms.messages.audiences import Scope
from lms.messages.models import Message, MessageRecipient, MessageState
from tests.conftest import email_text, sent_emails


def draft(edition, audience="everyone", scope=None, **fields) -> services.Draft:
    values = {
        "subject": {"vi": "Đường dẫn mới", "en": "A new link"},
        "body": {"vi": "Phòng họp đã **đổi**.", "en": "The meeting room **changed**."},
        "scope": scope or Scope(edition.course),
        "audience": audience,
    }
    return services.Draft(**(values | fields))


def recipients_of(message_id: int) -> list[int]:
    return sorted(
        database.session.scalars(
            select(MessageRecipient.user_id).where(MessageRecipient.message_id == message_id)
        )
    )


def outbox_count() -> int:
    return database.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_a_message_sent_now_reaches_each_person_once_in_their_language(app, db, edition):
    message = services.compose(edition.course, draft(edition), edition.organiser)
    db.session.commit()
    assert sending.send_due() == 1
    assert sending.send_due() == 0  # a second run finds nothing to do
    assert recipients_of(message.id) == sorted(edition.ids("ann", "bao", "chi", "dung", "khoa"))
    db.session.refresh(message)
    assert (message.state, message.recipient_count) == (MessageState.SENT, 5)
    emails = {email["To"]: email for email in sent_emails(app)}
    assert len(emails) == 5
    ann = emails[edition.people["ann"].email]
    assert ann["Subject"] == "A new link"
    assert "The meeting room **changed**." in email_text(ann)
    assert "written in" not in email_text(ann)
    bao = emails[edition.people["bao"].email]
    assert bao["Subject"] == "Đường dẫn mới"
    assert f"/courses/{edition.course.slug}" in email_text(bao)  # the page it concerns
    assert f"/my/messages/{message.id}" in email_text(bao)
    assert db.session.scalar(select(AuditEvent.action)) == "message.sent"


def test_the_other_language_is_marked_as_a_fallback(app, db, edition):
    only_vietnamese = draft(edition, "seat", subject={"vi": "Chỉ tiếng Việt", "en": ""},
                            body={"vi": "Nội dung.", "en": ""})  # fmt: skip
    services.compose(edition.course, only_vietnamese, edition.organiser)
    db.session.commit()
    sending.send_due()
    emails = {email["To"]: email for email in sent_emails(app)}
    ann = emails[edition.people["ann"].email]  # reads English
    assert ann["Subject"] == "Chỉ tiếng Việt"
    assert "This message was written in Vietnamese only." in email_text(ann)
    assert "written in" not in email_text(emails[edition.people["bao"].email])


def test_a_run_message_links_to_my_schedule_and_a_module_message_to_its_page(app, db, edition):
    run = edition.run(1, "a")
    services.compose(
        edition.course, draft(edition, "seat", Scope(edition.course, run.module, run)), edition.trainer
    )
    services.compose(
        edition.course, draft(edition, "waiting", Scope(edition.course, run.module)), edition.organiser
    )
    db.session.commit()
    assert sending.send_due() == 2
    texts = [email_text(email) for email in sent_emails(app)]
    assert sum("/my/schedule" in text for text in texts) == 2  # ann and bao hold seats in m1/a
    assert sum("/modules/m1" in text for text in texts) == 1  # dung waits for m1


def test_a_scheduled_message_goes_at_its_time_and_not_before(app, db, edition):
    now = datetime.now(UTC)
    later = now + timedelta(hours=2)
    message = services.compose(
        edition.course, draft(edition, "certified", send_at=later), edition.organiser, now
    )
    db.session.commit()
    assert sending.send_due(now + timedelta(hours=1)) == 0
    assert recipients_of(message.id) == [] and outbox_count() == 0
    assert db.session.get(Message, message.id).state == MessageState.SCHEDULED
    assert sending.send_due(later + timedelta(seconds=1)) == 1
    assert recipients_of(message.id) == sorted(edition.ids("ann"))
    assert outbox_count() == 1
    assert db.session.scalar(select(AuditEvent.action)) == "message.scheduled"


def test_a_scheduled_message_can_be_cancelled_before_it_goes(db, edition):
    now = datetime.now(UTC)
    message = services.compose(
        edition.course, draft(edition, send_at=now + timedelta(hours=1)), edition.organiser, now
    )
    db.session.commit()
    services.cancel(message, edition.organiser, now)
    db.session.commit()
    assert sending.send_due(now + timedelta(hours=2)) == 0
    assert db.session.get(Message, message.id).state == MessageState.CANCELLED
    assert outbox_count() == 0
    with pytest.raises(ServiceError):
        services.cancel(message, edition.organiser, now)
    actions = sorted(db.session.scalars(select(AuditEvent.action)))
    assert actions == ["message.cancelled", "message.scheduled"]


def test_opted_out_learners_get_only_messages_about_their_seats(app, db, edition):
    services.set_optional_messages(edition.people["ann"], False)
    services.set_optional_messages(edition.people["bao"], False)
    services.set_optional_messages(edition.people["bao"], True)  # changed her mind
    optional = services.compose(edition.course, draft(edition, "everyone"), edition.organiser)
    seats = services.compose(edition.course, draft(edition, "seat"), edition.organiser)
    ticked = services.compose(edition.course, draft(edition, "attended", about_seats=True), edition.organiser)
    db.session.commit()
    sending.send_due()
    assert edition.people["ann"].id not in recipients_of(optional.id)
    assert edition.people["bao"].id in recipients_of(optional.id)
    assert edition.people["ann"].id in recipients_of(seats.id)  # holding a seat: about her seat
    assert edition.people["ann"].id in recipients_of(ticked.id)  # the organiser ticked it
    assert (optional.about_seats, seats.about_seats, ticked.about_seats) == (False, True, True)


def test_refusals_save_nothing(db, edition):
    now = datetime.now(UTC)
    refused = [
        draft(
            edition, "certified", scope=Scope(edition.course, edition.run(1, "b").module, edition.run(1, "b"))
        ),
        draft(edition, send_at=now - timedelta(minutes=1)),
        draft(edition, subject={"vi": "", "en": ""}, body={"vi": "", "en": ""}),
        draft(edition, subject={"vi": "Chủ đề", "en": ""}, body={"vi": "", "en": ""}),
        draft(edition, "nobody-knows"),
    ]
    for bad in refused:
        with pytest.raises(ServiceError):
            services.compose(edition.course, bad, edition.organiser, now)
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    with pytest.raises(FieldError):
        services.compose(
            edition.course, draft(edition, send_at=now - timedelta(minutes=1)), edition.organiser, now
        )


def _run_job_in_own_context(app, barrier, results):
    def work():
        with app.app_context():
            try:
                barrier.wait()
                results.append(sending.send_due())
            finally:
                database.session.remove()

    contextvars.Context().run(work)


def test_two_jobs_at_once_send_each_message_once(app, db, edition):
    for _ in range(3):
        services.compose(edition.course, draft(edition), edition.organiser)
    db.session.commit()
    barrier = threading.Barrier(2)
    results: list[int] = []
    threads = [
        threading.Thread(target=_run_job_in_own_context, args=(app, barrier, results)) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) in ([0, 3], [1, 2])  # three messages between them, none twice
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(MessageRecipient)) == 15
    assert outbox_count() == 15


def test_a_dead_job_is_taken_over_and_its_late_finish_adds_nothing(db, edition):
    now = datetime.now(UTC)
    message = services.compose(edition.course, draft(edition, "seat"), edition.organiser, now)
    db.session.commit()
    dead = sending.claim(message.id, now)  # claimed, then the worker died
    db.session.commit()
    assert sending.send_due(now + timedelta(minutes=1)) == 0  # its lease still holds
    assert sending.send_due(now + sending.LEASE + timedelta(minutes=1)) == 1
    assert len(recipients_of(message.id)) == 3
    with pytest.raises((IntegrityError, sending.LostClaim)):
        sending.materialise(message.id, dead, now)
        db.session.flush()
    db.session.rollback()
    assert len(recipients_of(message.id)) == 3 and outbox_count() == 3


def test_the_html_email_renders_markdown_and_drops_scripts(app, db, edition):
    body = {"vi": "**Đậm** <script>alert(1)</script> [liên kết](https://example.org/a)", "en": ""}
    services.compose(edition.course, draft(edition, "certified", subject={"vi": "Thử", "en": ""}, body=body),
                     edition.organiser)  # fmt: skip
    db.session.commit()
    sending.send_due()
    (email,) = sent_emails(app)
    html = email.get_body(preferencelist=("html",)).get_content()
    assert "<strong>Đậm</strong>" in html
    assert '<a href="https://example.org/a"' in html
    assert "<script>" not in html
