"""The follow-up survey: invited N months after completing, answered anonymously,
reminded once, counted in the results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from lms.certificates.follow_up import due_follow_ups, invite_to_follow_up, months_later
from lms.db import utcnow
from lms.evaluations import answering, invitations
from lms.evaluations.models import EvaluationSettings
from lms.evaluations.results import edition_results
from lms.mail.models import OutboxMessage
from tests.conftest import email_text, sent_emails
from tests.evaluations.conftest import full_answers, learner_in
from tests.factories import CertificateFactory


def completed(edition, learner, days_ago: int):
    return CertificateFactory(
        user=learner, course_id=edition.course.id, issued_at=utcnow() - timedelta(days=days_ago)
    )


def test_months_later_keeps_the_day_or_takes_the_months_last():
    assert months_later(datetime(2026, 11, 30, 3, tzinfo=UTC), 3) == datetime(2027, 2, 28, 3, tzinfo=UTC)
    assert months_later(datetime(2026, 1, 15, tzinfo=UTC), 12) == datetime(2027, 1, 15, tzinfo=UTC)


def test_invited_after_the_organisers_months_then_answer_counts(app, db, edition):
    long_ago = learner_in(edition, email="long.ago@example.org", locale="en")
    recent = learner_in(edition, email="recent@example.org")
    completed(edition, long_ago, 100)
    completed(edition, recent, 40)
    db.session.commit()
    assert due_follow_ups(utcnow()) == [(long_ago.id, edition.course.id)]
    db.session.add(EvaluationSettings(course_id=edition.course.id, follow_up_months=1))
    db.session.commit()
    assert sorted(due_follow_ups(utcnow())) == sorted(
        [(long_ago.id, edition.course.id), (recent.id, edition.course.id)]
    )
    db.session.commit()  # the job runs in its own session: SQLite's lock must be free
    invite_to_follow_up.call_local()
    invite_to_follow_up.call_local()  # a second run invites nobody again
    assert db.session.scalars(select(OutboxMessage.kind)).all() == ["follow_up_invitation"] * 2
    mails = {message["To"]: message for message in sent_emails(app)}
    assert "Did you apply what you learned" in mails[long_ago.email]["Subject"]
    assert f"/my/evaluations/{edition.follow_up.id}" in email_text(mails[long_ago.email])
    # the follow-up is open for them now, and answered once, anonymously
    assert edition.follow_up.id in [open.form.id for open in answering.open_evaluations(long_ago, utcnow())]
    answering.submit_evaluation(long_ago, edition.follow_up, full_answers(edition.follow_up), utcnow())
    later = utcnow() + invitations.REMIND_AFTER + timedelta(minutes=1)
    assert invitations.send_reminders(later) == 1  # the recent one only
    db.session.commit()
    with force_locale("en"):
        result = next(r for r in edition_results(edition.course, utcnow()) if r.form.is_follow_up)
    assert (result.eligible, result.responses) == (2, 1)
    assert (result.items[0].answers, result.items[0].counts) == (1, [1, 0, 0, 0])


def test_not_open_for_someone_not_invited(db, edition):
    learner = learner_in(edition)
    assert edition.follow_up.id not in [
        open.form.id for open in answering.open_evaluations(learner, utcnow())
    ]
