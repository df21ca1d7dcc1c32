"""Invitations when an evaluation opens, and exactly one reminder, by the periodic job."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from lms.db import utcnow
from lms.evaluations import answering, invitations
from lms.evaluations.models import EvaluationInvitation
from lms.evaluations.tasks import invite_and_remind
from lms.extensions import db as extensions_db
from lms.mail.models import OutboxMessage
from tests.conftest import email_text, sent_emails
from tests.evaluations.conftest import full_answers, learner_in
from tests.factories import UserFactory, hold


def kinds(db) -> list[tuple[str, str]]:
    return db.session.execute(
        select(OutboxMessage.kind, OutboxMessage.recipient).order_by(OutboxMessage.id)
    ).all()


def test_invitation_in_the_learners_language_then_one_reminder(app, db, edition):
    vietnamese = learner_in(edition, email="vi@example.org")
    english = learner_in(edition, email="en@example.org", locale="en")
    answered = learner_in(edition, email="done@example.org")
    absent = learner_in(edition, "absent", email="absent@example.org")
    hold(UserFactory(email="later@example.org"), edition.later)
    now = utcnow()
    answering.submit_evaluation(answered, edition.form, full_answers(edition.form), now)
    assert invitations.send_module_invitations(now) == 2
    assert invitations.send_module_invitations(now) == 0  # never twice
    db.session.commit()
    emails = {message["To"]: message for message in sent_emails(app)}
    assert set(emails) == {vietnamese.email, english.email}
    assert "Your evaluation of module 1" in emails[english.email]["Subject"]
    assert "Đánh giá của anh/chị về học phần 1" in emails[vietnamese.email]["Subject"]
    assert f"/my/evaluations/{edition.form.id}" in email_text(emails[english.email])
    # three days later, one reminder to those who have not answered; never a second
    answering.submit_evaluation(english, edition.form, full_answers(edition.form), now)
    later = now + invitations.REMIND_AFTER + timedelta(minutes=1)
    assert invitations.send_reminders(now + timedelta(days=1)) == 0
    assert invitations.send_reminders(later) == 1
    assert invitations.send_reminders(later + timedelta(days=5)) == 0
    db.session.commit()
    reminders = [row for row in kinds(db) if row[0] == "evaluation_reminder"]
    assert reminders == [("evaluation_reminder", vietnamese.email)]
    assert absent.email not in {recipient for _, recipient in kinds(db)}


def test_no_reminder_after_the_close_date(db, edition):
    learner_in(edition)
    now = utcnow()
    invitations.send_module_invitations(now)
    assert invitations.send_reminders(edition.form.closes_at + timedelta(seconds=1)) == 0


def test_two_workers_at_once_invite_and_remind_once(app, db, edition):
    for index in range(6):
        learner_in(edition, email=f"learner{index}@example.org")
    db.session.commit()

    def worker():
        invite_and_remind.call_local()  # the job runs in an app context of its own

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(EvaluationInvitation)) == 6
    assert [kind for kind, _ in kinds(db)].count("evaluation_invitation") == 6
    # and the reminders, claimed by two processes at once, three days later
    later = utcnow() + invitations.REMIND_AFTER + timedelta(minutes=1)
    seen_by_both = invitations.due_reminders(later)
    db.session.rollback()  # the test's own transaction must not hold SQLite's lock
    results = []

    def remind():
        with app.app_context():
            try:
                results.append(invitations.send_reminders(later, seen_by_both))
                extensions_db.session.commit()
            finally:
                extensions_db.session.remove()

    threads = [threading.Thread(target=remind) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 6
    db.session.expire_all()
    assert [kind for kind, _ in kinds(db)].count("evaluation_reminder") == 6
