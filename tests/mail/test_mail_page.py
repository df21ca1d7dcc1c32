"""The organisers' outgoing-mail page (/organise/mail): what it lists and filters, who may
open it, sending failed email again, and the warnings elsewhere while email has failed."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.catalogue.models import Course
from lms.mail.delivery import deliver_due
from lms.mail.kinds import declared_kinds
from lms.mail.models import MailStatus, OutboxMessage
from lms.mail.outbox import queue_email
from lms.reports.mail import KIND_LABELS, PAGE_SIZE, STATUS_LABELS
from tests.conftest import deliver_outbox
from tests.factories import CourseFactory, OutboxMessageFactory, UserFactory, course_with_modules
from tests.helpers import count_queries, page_text

CREATED = datetime(2030, 1, 1, 2, 0, tzinfo=UTC)  # 09:00 in Viet Nam, 03:00 in Vienna
REFUSED = "ConnectionRefusedError: [Errno 111] Connection refused"
HUGE = "99999999999999999999"


@dataclass
class World:
    organiser: object
    trainer: object
    learner: object
    course: Course
    other: Course
    sent: OutboxMessage
    failed: OutboxMessage
    queued: OutboxMessage
    failed_here: OutboxMessage
    sending: OutboxMessage


def at(minutes: int) -> datetime:
    return CREATED + timedelta(minutes=minutes)


@pytest.fixture
def world(db) -> World:
    organiser = UserFactory(email="chau@example.org", full_name="Đỗ Minh Châu", roles=["organiser"])
    trainer = UserFactory(email="trainer@example.org", roles=["trainer"])
    learner = UserFactory(email="learner@example.org")
    course = CourseFactory(
        slug="eip-mail", title={"vi": "Khu công nghiệp sinh thái", "en": "Eco-industrial parks"}
    )
    other = CourseFactory(
        slug="eip-other", title={"vi": "Cộng sinh công nghiệp", "en": "Industrial symbiosis"}
    )
    sent = OutboxMessageFactory(
        recipient="lan.nguyen@example.org", kind="registration_confirmed", course_id=course.id,
        status=MailStatus.SENT, created_at=at(0), sent_at=at(1), attempts=1, subject="Đã xác nhận đăng ký",
    )  # fmt: skip
    failed = OutboxMessageFactory(
        recipient="bao@example.org", kind="reminder", course_id=other.id, status=MailStatus.FAILED,
        created_at=at(10), failed_at=at(40), attempts=3, last_error=REFUSED,
    )  # fmt: skip
    queued = OutboxMessageFactory(
        recipient="huong@example.org", kind="password_reset", status=MailStatus.QUEUED, created_at=at(20),
        next_attempt_at=at(80), attempts=1, last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )  # fmt: skip
    failed_here = OutboxMessageFactory(
        recipient="LAN.NGUYEN@example.org", kind="certificate_issued", course_id=course.id,
        status=MailStatus.FAILED, created_at=at(30), failed_at=at(31), attempts=1,
        last_error="SMTPRecipientsRefused: 550 mailbox unavailable",
    )  # fmt: skip
    sending = OutboxMessageFactory(
        recipient="an@example.org", kind="quiz_graded", course_id=course.id, status=MailStatus.SENDING,
        created_at=at(50), attempts=1,
    )  # fmt: skip
    db.session.commit()
    return World(organiser, trainer, learner, course, other, sent, failed, queued, failed_here, sending)


@pytest.fixture
def organiser(client, world):
    client.sign_in(world.organiser.email)
    return client


def rows(text: str) -> list[str]:
    """The table's rows as plain text (the buttons' hidden words left out)."""
    body = re.search(r'<table class="data-table mail-table">.*?<tbody>(.*?)</tbody>', text, re.S)
    if not body:
        return []
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S):
        row = re.sub(r'<span class="visually-hidden">.*?</span>|<wbr>', "", row, flags=re.S)
        found.append(html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))).strip())
    return found


def flashes(text: str) -> list[str]:
    return [
        html.unescape(message) for message in re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', text)
    ]


def status_of(db, message: OutboxMessage) -> tuple[str, int]:
    db.session.expire_all()
    row = db.session.get(OutboxMessage, message.id)
    return row.status, row.attempts


# -- labels ----------------------------------------------------------------------------------


def test_every_kind_of_email_and_every_status_has_a_label_in_both_languages(app):
    with app.app_context():
        kinds = declared_kinds()
    assert kinds, "create_app declares the kinds of email"
    unlabelled = sorted(set(kinds) - set(KIND_LABELS))
    assert not unlabelled, f"add a label to lms.reports.mail.KIND_LABELS for: {unlabelled}"
    assert set(STATUS_LABELS) == set(MailStatus)
    with app.test_request_context():
        for label in [*KIND_LABELS.values(), *STATUS_LABELS.values()]:
            with force_locale("vi"):
                vietnamese = str(label)
            with force_locale("en"):
                english = str(label)
            assert vietnamese != english, f"{english!r} is not translated into Vietnamese"


# -- the list --------------------------------------------------------------------------------


def test_messages_newest_first_with_status_kind_recipient_edition_times_attempts_and_errors(organiser, world):
    text = page_text(organiser.get("/organise/mail?lang=en"))
    assert "5 emails" in text
    assert rows(text) == [
        "Tue, Jan 1, 2030, 9:50 AM Sending Quiz graded an@example.org Eco-industrial parks 1 "
        "A worker is sending it now.",
        "Tue, Jan 1, 2030, 9:30 AM Failed Certificate issued LAN.NGUYEN@example.org Eco-industrial parks 1 "
        "Failed at Tue, Jan 1, 2030, 9:31 AM Error: SMTPRecipientsRefused: 550 mailbox unavailable Send again",
        "Tue, Jan 1, 2030, 9:20 AM Queued Password reset huong@example.org — 1 "
        "Next attempt at Tue, Jan 1, 2030, 10:20 AM Last error: SMTPServerDisconnected: Connection unexpectedly closed",
        f"Tue, Jan 1, 2030, 9:10 AM Failed Session reminder bao@example.org Industrial symbiosis 3 "
        f"Failed at Tue, Jan 1, 2030, 9:40 AM Error: {REFUSED} Send again",
        "Tue, Jan 1, 2030, 9:00 AM Sent Registration confirmed Đã xác nhận đăng ký lan.nguyen@example.org "
        "Eco-industrial parks 1 Sent at Tue, Jan 1, 2030, 9:01 AM",
    ]
    # The summary: two waiting (queued and sending), two failed; the oldest was queued "in 2030".
    summary = re.search(r'<dl class="mail-summary">(.*?)</dl>', text, re.S)[1]
    summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary)).strip()
    assert summary == "Waiting to be sent 2 Failed 2 Oldest unsent email waiting for less than a minute"

    vietnamese = page_text(organiser.get("/organise/mail?lang=vi"))
    lines = rows(vietnamese)
    assert "Gửi thất bại" in lines[1] and "Cấp chứng nhận" in lines[1] and "Gửi lại" in lines[1]
    assert "Khu công nghiệp sinh thái" in lines[0] and "Đang gửi" in lines[0]
    assert "Đã gửi" in lines[4] and "Đang chờ gửi" in lines[2]


def test_times_are_shown_in_the_viewers_zone(organiser, db, world):
    world.organiser.timezone = "Europe/Vienna"
    db.session.commit()
    text = page_text(organiser.get("/organise/mail?lang=en"))
    assert rows(text)[-1].startswith("Tue, Jan 1, 2030, 3:00 AM Sent")
    assert "(GMT+01:00)" in text  # the zone is named above the table


def test_filters_by_edition_kind_status_and_recipient(organiser, world):
    def recipients(query: str) -> list[str]:
        lines = rows(page_text(organiser.get(f"/organise/mail?lang=en&{query}")))
        return [re.search(r"\S+@\S+", line)[0] for line in lines]

    assert recipients(f"course={world.course.id}") == [
        "an@example.org", "LAN.NGUYEN@example.org", "lan.nguyen@example.org"
    ]  # fmt: skip
    assert recipients("kind=reminder") == ["bao@example.org"]
    assert recipients("status=failed") == ["LAN.NGUYEN@example.org", "bao@example.org"]
    assert recipients("recipient=Nguyen") == ["LAN.NGUYEN@example.org", "lan.nguyen@example.org"]
    assert recipients("recipient=%25") == []  # a wildcard is a character like any other
    assert recipients(f"course={world.course.id}&status=sent&recipient=LAN") == ["lan.nguyen@example.org"]
    assert recipients(f"course={world.other.id}&kind=password_reset") == []
    text = page_text(
        organiser.get(f"/organise/mail?lang=en&course={world.other.id}&status=failed&recipient=bao")
    )
    assert f'<option value="{world.other.id}" selected>' in text
    assert '<option value="failed" selected>Failed</option>' in text
    assert 'name="recipient" value="bao"' in text


@pytest.mark.parametrize(
    "query",
    [f"course={HUGE}", "course=²", "course=-1", "course=0", "kind=nope", "status=lost", f"page={HUGE}",
     "page=0", "page=abc", "recipient=" + "x" * 3000, "kind=reminder&kind=quiz_graded"],
)  # fmt: skip
def test_odd_query_values_are_ignored_not_a_crash(organiser, world, query):
    response = organiser.get(f"/organise/mail?lang=en&{query}")
    assert response.status_code == 200
    text = page_text(response)
    assert rows(text) if "recipient" not in query else "No email matches." in text


def test_pages_of_fifty(organiser, db, world):
    for index in range(PAGE_SIZE + 3):
        OutboxMessageFactory(recipient=f"many{index}@example.org", status=MailStatus.SENT, sent_at=at(100 + index),
                             created_at=at(100 + index), kind="reminder", course_id=world.course.id)  # fmt: skip
    db.session.commit()
    first = page_text(organiser.get(f"/organise/mail?lang=en&course={world.course.id}"))
    assert "56 emails" in first and "Page 1 of 2" in first and len(rows(first)) == PAGE_SIZE
    assert "many52@example.org" in rows(first)[0]
    assert f"/organise/mail?course={world.course.id}&amp;page=2" in first
    second = page_text(organiser.get(f"/organise/mail?lang=en&course={world.course.id}&page=2"))
    assert "Page 2 of 2" in second and len(rows(second)) == 6
    assert "lan.nguyen@example.org" in rows(second)[-1]
    beyond = page_text(organiser.get(f"/organise/mail?lang=en&course={world.course.id}&page=9"))
    assert "Page 2 of 2" in beyond


def test_the_page_makes_a_fixed_number_of_queries(app, organiser, db, world):
    def queries(path: str) -> int:
        with count_queries(app) as counter:
            assert organiser.get(path).status_code == 200
        return counter.count

    paths = [
        "/organise/mail",
        f"/organise/mail?course={world.course.id}&kind=reminder&status=failed&recipient=a",
    ]
    small = [queries(path) for path in paths]
    for index in range(80):
        course = CourseFactory()
        OutboxMessageFactory(course_id=course.id, kind="reminder", created_at=at(index),
                             status=[MailStatus.SENT, MailStatus.FAILED, MailStatus.QUEUED][index % 3])  # fmt: skip
    db.session.commit()
    assert [queries(path) for path in paths] == small


# -- who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["learner", "trainer"])
def test_learners_and_trainers_are_refused(client, db, world, who):
    client.sign_in(getattr(world, who).email)
    token = client.csrf_token()
    assert client.get("/organise/mail").status_code == 403
    assert (
        client.post(f"/organise/mail/{world.failed.id}/send-again", data={"csrf_token": token}).status_code
        == 403
    )
    assert client.post("/organise/mail/send-again", data={"csrf_token": token}).status_code == 403
    assert status_of(db, world.failed) == (MailStatus.FAILED, 3)
    assert "/organise/mail" not in page_text(client.get("/"))


def test_guests_are_sent_to_sign_in(client, world):
    response = client.get("/organise/mail")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_organisers_find_the_page_in_the_menu_and_the_edition_tabs(organiser, world):
    assert 'href="/organise/mail"' in page_text(organiser.get("/?lang=en"))
    exports = page_text(organiser.get(f"/organise/courses/{world.course.slug}/exports?lang=en"))
    assert f'href="/organise/mail?course={world.course.id}"' in exports


# -- sending again -----------------------------------------------------------------------------


def test_sending_one_failed_email_again_queues_it_with_fresh_attempts_and_a_worker_delivers_it(
    app, organiser, db, world
):
    learner = world.learner
    message = queue_email(learner, "password_reset", link="http://localhost/reset/abc", minutes=60)
    message.status, message.attempts, message.last_error = MailStatus.FAILED, 7, REFUSED
    message.failed_at = at(0)
    db.session.commit()
    assert deliver_outbox(app).sent == 0  # failed: no worker touches it

    response = organiser.submit(
        f"/organise/mail/{message.id}/send-again", {"status": "failed", "recipient": "learner"}
    )
    assert response.request.path == "/organise/mail"
    assert response.request.args.to_dict() == {
        "status": "failed",
        "recipient": "learner",
    }  # back to the filter
    text = page_text(response)
    assert "Email gửi learner@example.org sẽ được gửi lại trong giây lát." in flashes(text)
    db.session.expire_all()
    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.attempts, row.failed_at) == (MailStatus.QUEUED, 0, None)
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.sent_again")).all()
    assert (event.actor_id, event.object_type, event.object_id) == (
        world.organiser.id,
        "outboxmessage",
        message.id,
    )
    assert event.details == {"kind": "password_reset"}
    assert status_of(db, world.failed) == (MailStatus.FAILED, 3)  # the others stay as they were

    assert deliver_outbox(app).sent == 1
    assert status_of(db, message) == (MailStatus.SENT, 1)
    (eml,) = Path(app.config["MAIL_DIR"]).glob(f"{message.id:06d}-*.eml")
    assert b"learner@example.org" in eml.read_bytes()


def test_sending_again_an_email_that_has_not_failed_changes_nothing(organiser, db, world):
    for message in (world.sent, world.queued, world.sending):
        before = status_of(db, message)
        text = page_text(organiser.submit(f"/organise/mail/{message.id}/send-again?lang=en", {}))
        assert "This email has not failed (any more), so it was not sent again." in flashes(text)
        assert status_of(db, message) == before
    assert db.session.scalar(select(AuditEvent.id)) is None


@pytest.mark.parametrize("message_id", ["999999", HUGE])
def test_an_unknown_email_is_not_found(organiser, message_id):
    assert (
        organiser.submit(f"/organise/mail/{message_id}/send-again", {}, follow_redirects=False).status_code
        == 404
    )


def test_sending_every_failed_email_of_the_filtered_edition_again(organiser, db, world):
    text = page_text(organiser.get(f"/organise/mail?lang=en&course={world.course.id}"))
    assert "Send the failed email again" in text  # one failed in this edition
    assert "Only the failed emails of the edition and kind chosen above, whoever receives them." in text
    text = page_text(organiser.submit("/organise/mail/send-again?lang=en", {"course": str(world.course.id)}))
    assert "1 failed email will be sent again in a moment." in flashes(text)
    assert status_of(db, world.failed_here) == (MailStatus.QUEUED, 0)
    assert status_of(db, world.failed) == (MailStatus.FAILED, 3)  # another edition's
    (event,) = db.session.scalars(select(AuditEvent)).all()
    assert (event.action, event.course_id, event.details) == (
        "mail.failed_sent_again",
        world.course.id,
        {"count": 1},
    )

    text = page_text(organiser.submit("/organise/mail/send-again?lang=en", {"kind": "certificate_issued"}))
    assert "No failed email matched, so nothing was sent again." in flashes(text)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.id != event.id)) is None


def test_sending_every_failed_email_again(organiser, db, world):
    text = page_text(organiser.get("/organise/mail?lang=en&status=sent"))
    assert "Send all 2 failed emails again" in text
    assert "Only the failed emails of" not in text and "whoever receives it" not in text
    text = page_text(organiser.submit("/organise/mail/send-again?lang=vi", {"status": "sent"}))
    assert "Sẽ gửi lại 2 email bị lỗi trong giây lát." in flashes(text)
    assert status_of(db, world.failed) == (MailStatus.QUEUED, 0)
    assert status_of(db, world.failed_here) == (MailStatus.QUEUED, 0)
    assert status_of(db, world.sent) == (MailStatus.SENT, 1)
    (event,) = db.session.scalars(select(AuditEvent)).all()
    assert (event.action, event.course_id, event.details) == ("mail.failed_sent_again", None, {"count": 2})
    audit = page_text(organiser.get("/organise/audit?lang=en"))
    assert "Sent the failed emails again" in audit
    assert "Gửi lại các email bị lỗi" in page_text(organiser.get("/organise/audit?lang=vi"))


@pytest.mark.parametrize("form", [{"course": HUGE}, {"course": "abc"}, {"course": "0"}, {"kind": "nope"}])
def test_a_tampered_filter_sends_nothing_again(organiser, db, world, form):
    text = page_text(organiser.submit("/organise/mail/send-again?lang=en", form))
    assert "The edition or kind of email was not recognised, so nothing was sent again." in flashes(text)
    assert status_of(db, world.failed) == (MailStatus.FAILED, 3)
    assert db.session.scalar(select(AuditEvent.id)) is None


def test_a_refused_email_fails_is_shown_and_goes_out_when_sent_again(
    app, smtp_app, smtp_server, db, client, world
):
    smtp_app.config["MAIL_RETRY_DELAYS"] = []  # the first failure is the last
    message = queue_email(world.learner, "password_reset", link="http://localhost/reset/x", minutes=60)
    db.session.commit()
    smtp_server.refuse()
    assert deliver_due().failed == 1
    client.sign_in(world.organiser.email)
    text = page_text(client.get("/organise/mail?lang=en&recipient=learner@"))
    (line,) = rows(text)
    assert "Failed" in line and "ConnectionRefusedError" in line and line.endswith("Send again")

    smtp_server.recover()
    client.submit("/organise/mail/send-again", {"recipient": "learner@"})
    assert deliver_outbox(app).sent == 1
    assert [sent["To"] for sent in smtp_server.messages] == ["learner@example.org"]
    assert status_of(db, message) == (MailStatus.SENT, 1)


# -- warnings elsewhere --------------------------------------------------------------------------


def test_the_dashboard_and_the_editions_warn_while_email_has_failed(organiser, db, world):
    edition = course_with_modules(1, 2, slug="eip-dash")
    db.session.commit()
    pages = [f"/organise/courses/{edition.slug}/dashboard", "/organise/courses"]
    for path in pages:
        english = page_text(organiser.get(f"{path}?lang=en"))
        assert "2 emails could not be sent." in english, path
        assert 'href="/organise/mail?status=failed"' in english
        assert "2 email không gửi được." in page_text(organiser.get(f"{path}?lang=vi"))

    organiser.submit("/organise/mail/send-again", {})
    for path in pages:
        text = page_text(organiser.get(f"{path}?lang=en"))
        assert "could not be sent" not in text and "mail-warning" not in text, path
