"""Learners answer a module's evaluation once, anonymously, while it is open."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text

from lms.accounts.models import User
from lms.db import utcnow, write_intent
from lms.errors import ServiceError
from lms.evaluations import answering
from lms.evaluations.models import (
    EvaluationAnswer,
    EvaluationForm,
    EvaluationInvitation,
    EvaluationResponse,
)
from lms.extensions import db as extensions_db
from tests.evaluations.conftest import form_data, full_answers, learner_in
from tests.factories import UserFactory, hold


def counts(db) -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (EvaluationResponse, EvaluationAnswer, EvaluationInvitation)
    )


def test_opens_when_the_attended_run_has_ended(db, edition):
    present = learner_in(edition)
    late = learner_in(edition, "late")
    absent = learner_in(edition, "absent")
    waiting = UserFactory()
    hold(waiting, edition.later)
    for user in (present, late):
        assert [open.form.id for open in answering.open_evaluations(user, utcnow())] == [edition.form.id]
    for user in (absent, waiting):
        assert answering.open_evaluations(user, utcnow()) == []
    # before the run ended, nothing was open
    assert answering.open_evaluations(present, edition.ended.ends_at - timedelta(minutes=1)) == []
    # after the close date, nothing is open
    assert answering.open_evaluations(present, edition.form.closes_at + timedelta(seconds=1)) == []


def test_learner_answers_on_the_page_once(client, db, edition):
    learner = learner_in(edition, locale="en")
    db.session.commit()
    client.sign_in(learner.email)
    listing = client.get("/my/evaluations").get_data(as_text=True)
    assert f"/my/evaluations/{edition.form.id}" in listing
    assert f"/my/evaluations/{edition.form.id}" in client.get("/my/schedule").get_data(as_text=True)
    page = client.get(f"/my/evaluations/{edition.form.id}").get_data(as_text=True)
    assert "Strongly agree" in page and "What should we improve?" in page
    data = form_data(edition.form, full_answers(edition.form, text="More exercises, please"))
    response = client.submit(f"/my/evaluations/{edition.form.id}", data)
    assert "Your answers are saved" in response.get_data(as_text=True)
    assert counts(db) == (1, 7, 1)
    saved = db.session.scalar(select(EvaluationResponse))
    assert (saved.organisation_type, saved.province, saved.gender) == (
        "park_management_board",
        "da-nang",
        "undisclosed",
    )
    assert saved.week.weekday() == 0
    assert sorted(a.text for a in saved.answers if a.text) == ["More exercises, please"]
    # the second time: refused in the learner's language, nothing more saved
    again = client.submit(f"/my/evaluations/{edition.form.id}", data).get_data(as_text=True)
    assert "You have already answered this evaluation" in again
    assert counts(db) == (1, 7, 1)
    assert f"/my/evaluations/{edition.form.id}" not in client.get("/my/evaluations").get_data(as_text=True)


@pytest.mark.parametrize(
    "tamper, message",
    [
        (
            lambda answers, form: answers.update({form.items[0].id: 6}),
            "Điểm đánh giá phải là số nguyên từ 1 đến 5",
        ),
        (
            lambda answers, form: answers.update({form.items[0].id: "0"}),
            "Điểm đánh giá phải là số nguyên từ 1 đến 5",
        ),
        (lambda answers, form: answers.update({999999: 3}), "Biểu mẫu đã bị thay đổi"),
        (lambda answers, form: answers.pop(form.items[1].id), "Vui lòng trả lời mọi câu hỏi bắt buộc"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_saved(client, db, edition, tamper, message):
    learner = learner_in(edition)  # reads Vietnamese
    db.session.commit()
    client.sign_in(learner.email)
    answers = full_answers(edition.form)
    tamper(answers, edition.form)
    page = client.submit(f"/my/evaluations/{edition.form.id}", form_data(edition.form, answers))
    assert message in page.get_data(as_text=True)
    assert counts(db) == (0, 0, 0)


def test_closed_and_not_yet_open_are_refused(db, edition):
    learner = learner_in(edition)
    other = UserFactory()
    hold(other, edition.later)
    with pytest.raises(ServiceError, match="chưa mở cho anh/chị"):
        answering.submit_evaluation(other, edition.form, full_answers(edition.form), utcnow())
    with pytest.raises(ServiceError, match="đã đóng"):
        answering.submit_evaluation(
            learner, edition.form, full_answers(edition.form), edition.form.closes_at + timedelta(seconds=1)
        )
    db.session.rollback()
    assert counts(db) == (0, 0, 0)


def test_only_the_editions_learners_reach_the_form(client, db, edition):
    stranger = UserFactory()
    db.session.commit()
    client.sign_in(stranger.email)
    assert client.get(f"/my/evaluations/{edition.form.id}").status_code == 404
    assert client.get("/my/evaluations/987654").status_code == 404


# -- anonymity ------------------------------------------------------------------------

ANONYMOUS_TABLES = ("evaluation_response", "evaluation_answer")


def test_no_column_or_foreign_key_of_the_answers_leads_to_a_person(db, edition):
    inspector = inspect(db.engine)
    reachable = set()
    pending = list(ANONYMOUS_TABLES)
    while pending:  # every table an answer's foreign keys reach, directly or not
        table = pending.pop()
        if table in reachable:
            continue
        reachable.add(table)
        pending += [fk["referred_table"] for fk in inspector.get_foreign_keys(table)]
    assert "user" not in reachable
    assert reachable == {"evaluation_response", "evaluation_answer", "evaluation_form", "evaluation_item",
                         "course", "module"}  # fmt: skip
    for table in ANONYMOUS_TABLES:
        columns = {column["name"]: column for column in inspector.get_columns(table)}
        assert not [name for name in columns if "user" in name or name.endswith("_by_id")]
        # no exact time: the only date is a week's Monday
        assert not [name for name, column in columns.items() if "TIME" in str(column["type"]).upper()]
        primary = inspector.get_pk_constraint(table)["constrained_columns"]
        assert primary == ["id"] and "CHAR" in str(columns["id"]["type"]).upper()  # not a sequence
    if db.engine.dialect.name == "sqlite":  # rows kept in key order, not arrival (no rowid)
        for table in ANONYMOUS_TABLES:
            sql = db.session.execute(
                text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": table}
            )
            assert "WITHOUT ROWID" in sql.scalar_one()


def test_the_order_of_answers_does_not_follow_who_answered_when(db, edition):
    learners = [learner_in(edition) for _ in range(12)]
    now = utcnow()
    arrival = [  # one after another, as they sign in
        answering.submit_evaluation(learner, edition.form, full_answers(edition.form), now).id
        for learner in learners
    ]
    db.session.commit()
    by_key = db.session.scalars(select(EvaluationResponse.id).order_by(EvaluationResponse.id)).all()
    # 12 random keys in arrival order by chance: 1 in 479 million
    assert sorted(arrival) == by_key and by_key != arrival
    assert len(set(db.session.scalars(select(EvaluationResponse.week)))) == 1  # no finer time
    answer_keys = db.session.scalars(select(EvaluationAnswer.id).order_by(EvaluationAnswer.id)).all()
    assert len(answer_keys) == 12 * 7 and len(set(answer_keys)) == 12 * 7
    if db.engine.dialect.name == "sqlite":
        # without ORDER BY, SQLite reads a WITHOUT ROWID table in key order: not arrival
        assert db.session.scalars(select(EvaluationResponse.id)).all() != arrival
    # whereas "has answered" may follow arrival: it never says what anyone answered
    assert db.session.scalar(select(func.count()).select_from(EvaluationInvitation)) == 12


def test_two_submissions_at_once_save_one_answer(app, db, edition):
    learner_id, form_id = learner_in(edition).id, edition.form.id
    db.session.commit()  # and no query after it: the test's session must not hold SQLite's lock
    start = threading.Barrier(2)
    outcomes = []

    def submit():
        with app.app_context():
            try:
                with write_intent(False):  # read first, without SQLite's write lock
                    user = extensions_db.session.get(User, learner_id)
                    form = extensions_db.session.get(EvaluationForm, form_id)
                    answers = full_answers(form)
                    extensions_db.session.rollback()
                start.wait(timeout=30)
                answering.submit_evaluation(user, form, answers, utcnow())
                extensions_db.session.commit()
                outcomes.append("saved")
            except ServiceError:
                extensions_db.session.rollback()
                outcomes.append("refused")
            finally:
                extensions_db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused", "saved"]
    db.session.expire_all()
    assert counts(db) == (1, 7, 1)
