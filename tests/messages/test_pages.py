"""The organisers' and trainers' message pages and the learners' /my/messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.extensions import db as database
from lms.messages import sending
from lms.messages.models import Message, MessageOptOut
from tests.helpers import page_text

BASE = "/organise/courses/known/messages"


def form(scope="edition", audience="everyone", **fields) -> dict:
    return {
        "scope": scope, "audience": audience, "when": "now",
        "subject_vi": "Lịch học", "body_vi": "Xin **chào**.", "subject_en": "Schedule", "body_en": "**Hello**.",
    } | fields  # fmt: skip


@pytest.fixture(autouse=True)
def pages_in_english(db, edition):
    """The pages' words are checked in English (the texts of messages in both)."""
    for person in edition.people.values():
        person.locale = "en"
    db.session.commit()


def message_count() -> int:
    return database.session.scalar(select(func.count()).select_from(Message))


def test_the_preview_counts_the_recipients_and_shows_each_language(client, db, edition):
    client.sign_in(edition.organiser.email)
    response = client.submit(f"{BASE}/new", form(audience="waiting", action="preview"))
    text = page_text(response)
    assert "This message would reach 2 people." in text
    assert "Schedule" in text and "Lịch học" in text
    assert message_count() == 0


def test_the_preview_of_an_empty_audience_says_so_and_of_an_unfinished_text_still_counts(client, db, edition):
    client.sign_in(edition.organiser.email)
    empty = form(scope=f"run-{edition.run(1, 'b').id}", audience="waiting", action="preview")
    text = page_text(client.submit(f"{BASE}/new", empty))
    assert "This message would reach 0 people." in text
    assert "Nobody would receive this message" in text
    unfinished = form(audience="incomplete", action="preview", body_vi="", body_en="")
    text = page_text(client.submit(f"{BASE}/new", unfinished))
    assert "This message would reach 4 people." in text  # bao chi dung khoa
    assert "Please write both the subject and the message" in text
    assert "Nobody would receive" not in text
    assert message_count() == 0


def test_the_preview_says_how_many_turned_optional_messages_off(client, db, edition):
    db.session.add(MessageOptOut(user_id=edition.people["khoa"].id))
    client.sign_in(edition.organiser.email)
    text = page_text(client.submit(f"{BASE}/new", form(action="preview")))
    assert "This message would reach 4 people." in text
    assert "1 more turned optional messages off" in text


def test_an_organiser_sends_a_message_and_sees_its_recipients(app, client, db, edition):
    client.sign_in(edition.organiser.email)
    response = client.submit(f"{BASE}/new", form(audience="seat", action="send"))
    assert "The message is being sent" in page_text(response)
    message = db.session.scalar(select(Message))
    assert message.state == "scheduled"  # the request only records it
    sending.send_due()
    text = page_text(client.get(f"{BASE}/{message.id}"))
    assert "Recipients (3)" in text
    assert all(edition.people[name].full_name in text for name in ("ann", "bao", "chi"))
    listing = page_text(client.get(BASE))
    assert "Schedule" in listing or "Lịch học" in listing
    assert "Organiser" in listing


def test_a_scheduled_message_is_shown_and_can_be_cancelled(client, db, edition):
    client.sign_in(edition.organiser.email)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone(edition.course.zone)
    client.submit(f"{BASE}/new", form(action="send", when="later", send_on=tomorrow.strftime("%Y-%m-%d"),
                                      send_time="09:00"))  # fmt: skip
    message = db.session.scalar(select(Message))
    assert message.send_at.astimezone(edition.course.zone).strftime("%H:%M") == "09:00"
    response = client.submit(f"{BASE}/{message.id}/cancel", {})
    assert "The scheduled message is cancelled" in page_text(response)
    db.session.refresh(message)
    assert message.state == "cancelled"


def test_refusals_are_clear_and_save_nothing(client, db, edition):
    client.sign_in(edition.organiser.email)
    other_run = edition.run(1, "a").id + 1000
    cases = {
        "Nobody would receive this message": form(scope=f"run-{edition.run(1, 'b').id}", audience="waiting"),
        "The send time has passed": form(when="later", send_on="2020-01-01", send_time="09:00"),
        "not part of this edition": form(scope=f"run-{other_run}"),
        "Please choose the day and time": form(when="later"),
        "at least one language": form(subject_vi="", body_vi="", subject_en="", body_en=""),
    }
    for expected, data in cases.items():
        text = page_text(client.submit(f"{BASE}/new", data | {"action": "send"}))
        assert expected in text, expected
    assert message_count() == 0


def test_a_trainer_writes_only_to_their_own_runs(client, db, edition):
    client.sign_in(edition.trainer.email)
    page = page_text(client.get(f"{BASE}/new"))
    assert edition.course.modules[1].title["vi"] not in page  # no module they do not teach
    for scope in ("edition", f"run-{edition.run(1, 'b').id}", f"module-{edition.course.modules[1].id}"):
        text = page_text(client.submit(f"{BASE}/new", form(scope=scope, action="send")))
        assert "You can write only to the learners of the runs you teach" in text
    assert message_count() == 0
    client.submit(f"{BASE}/new", form(scope=f"run-{edition.run(1, 'a').id}", action="send"))
    assert message_count() == 1


def test_a_trainer_sees_only_the_messages_of_their_runs(client, db, edition):
    from tests.factories import MessageFactory

    mine = MessageFactory(course_id=edition.course.id, run_id=edition.run(1, "a").id,
                          module_id=edition.course.modules[0].id, author_id=edition.organiser.id)  # fmt: skip
    other = MessageFactory(course_id=edition.course.id, author_id=edition.organiser.id,
                           subject={"vi": "Toàn khóa", "en": "Whole edition"})  # fmt: skip
    client.sign_in(edition.trainer.email)
    assert client.get(f"{BASE}/{mine.id}").status_code == 200
    assert client.get(f"{BASE}/{other.id}").status_code == 404
    assert "Toàn khóa" not in page_text(client.get(BASE))


def test_learners_read_their_messages_and_only_theirs(app, client, db, edition):
    from tests.factories import MessageFactory

    message = MessageFactory(
        course_id=edition.course.id, author_id=edition.organiser.id, audience="certified"
    )
    db.session.commit()
    sending.send_due()
    client.sign_in(edition.people["ann"].email)
    assert "News about the course" in page_text(client.get("/my/messages"))  # ann reads English
    assert "Messages" in page_text(client.get("/my/schedule"))
    assert "news" in page_text(client.get(f"/my/messages/{message.id}"))
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in(edition.people["bao"].email)
    assert client.get(f"/my/messages/{message.id}").status_code == 404
    assert f"/my/messages/{message.id}" not in client.get("/my/messages").get_data(as_text=True)


def test_a_learner_turns_optional_messages_off_and_on(client, db, edition):
    client.sign_in(edition.people["bao"].email)
    response = client.submit("/my/messages/preferences", {"optional": "off"})
    assert "Optional messages are turned off" in page_text(response)
    assert db.session.get(MessageOptOut, edition.people["bao"].id) is not None
    client.submit("/my/messages/preferences", {"optional": "on"})
    db.session.expire_all()
    assert db.session.get(MessageOptOut, edition.people["bao"].id) is None


def test_a_draft_is_kept_unsent_then_finished_and_sent_once(client, db, edition):
    client.sign_in(edition.organiser.email)
    response = client.submit(f"{BASE}/new", form(audience="seat", action="draft", subject_en="", body_en=""))
    assert "The draft is saved" in page_text(response)
    draft = db.session.scalar(select(Message))
    assert (draft.state, draft.send_at) == ("draft", None)
    assert sending.send_due() == 0  # a draft never goes by itself
    page = client.get(f"{BASE}/new?draft={draft.id}").get_data(as_text=True)
    assert 'value="Lịch học"' in page and "checked" in page
    response = client.submit(f"{BASE}/new?draft={draft.id}", form(audience="seat", action="send"))
    assert "The message is being sent" in page_text(response)
    assert message_count() == 1  # the draft itself, not a copy
    assert sending.send_due() == 1
    db.session.refresh(draft)
    assert (draft.state, draft.recipient_count, draft.subject["en"]) == ("sent", 3, "Schedule")
    # sent: it is no draft any more
    assert client.get(f"{BASE}/new?draft={draft.id}").status_code == 404
    response = client.submit(f"{BASE}/new?draft={draft.id}", form(action="send"))
    assert response.status_code == 404
    assert message_count() == 1
