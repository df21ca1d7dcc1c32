"""The evaluation required for the certificate; copying an edition carries the forms;
organisers edit forms until the first answer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.catalogue.models import Course
from lms.certificates.models import Certificate
from lms.completion.edition import edition_progress
from lms.completion.progress import progress
from lms.db import utcnow
from lms.errors import ServiceError
from lms.evaluations import answering, forms_setup
from lms.evaluations.models import EvaluationForm, EvaluationSettings, ItemKind
from lms.organise.copying import copy_edition
from tests.evaluations.conftest import full_answers, learner_in
from tests.factories import UserFactory


def require(db, edition):
    db.session.add(EvaluationSettings(course_id=edition.course.id, required_for_certificate=True))
    db.session.delete(
        next(form for form in forms_setup.forms_of(edition.course) if form.module_id == edition.second.id)
    )
    db.session.flush()


def test_required_evaluation_is_a_missing_step_until_answered(client, db, edition):
    require(db, edition)  # the second module keeps no form: nothing to answer there
    learner = learner_in(edition, locale="en")
    from lms.completion.models import CompletionException

    db.session.add(CompletionException(user_id=learner.id, course_id=edition.course.id, module_id=edition.second.id,
                                       reason="Học bù", recorded_by_id=UserFactory(roles=["organiser"]).id,
                                       recorded_at=utcnow()))  # fmt: skip
    db.session.commit()
    state = progress(learner, edition.course)
    first = state.modules[0]
    assert (first.attended, first.evaluation_required, first.evaluated, first.done) == (
        True,
        True,
        False,
        False,
    )
    assert edition_progress(edition.course, [learner.id])[learner.id].done == {edition.second.id}
    client.sign_in(learner.email)
    page = client.get(f"/my/progress/{edition.course.slug}").get_data(as_text=True)
    assert "Missing: answer the evaluation" in page
    assert db.session.scalar(select(Certificate)) is None
    answering.submit_evaluation(learner, edition.form, full_answers(edition.form), utcnow())
    db.session.commit()
    assert progress(learner, edition.course).complete
    assert db.session.scalar(select(Certificate.user_id)) == learner.id  # issued on the spot


def test_not_required_by_default(db, edition):
    learner = learner_in(edition)
    assert progress(learner, edition.course).modules[0].done is True


def test_copying_an_edition_carries_forms_and_settings(db, edition):
    organiser = UserFactory(roles=["organiser"])
    db.session.add(
        EvaluationSettings(course_id=edition.course.id, follow_up_months=6, trainers_see_results=False)
    )
    answering.submit_evaluation(learner_in(edition), edition.form, full_answers(edition.form), utcnow())
    first_day = edition.ended.starts_at.astimezone(edition.course.zone).date()
    starts_on = first_day + timedelta(weeks=52)
    copy = copy_edition(edition.course, "eval-course-next", starts_on, organiser)
    db.session.commit()
    forms = forms_setup.forms_of(db.session.get(Course, copy.id))
    assert len(forms) == 3 and [form.is_follow_up for form in forms] == [False, False, True]
    copied = forms[0]
    assert [item.text for item in copied.items] == [item.text for item in edition.form.items]
    assert copied.answered is False  # the copy is editable again
    assert (
        copied.closes_at.astimezone(copy.zone).time() == edition.form.closes_at.astimezone(copy.zone).time()
    )
    assert copied.closes_at - edition.form.closes_at == timedelta(days=(starts_on - first_day).days)
    settings = db.session.get(EvaluationSettings, copy.id)
    assert (settings.follow_up_months, settings.trainers_see_results) == (6, False)


def test_organisers_edit_until_the_first_answer(client, db, edition):
    organiser = UserFactory(roles=["organiser"], locale="en")
    db.session.commit()
    client.sign_in(organiser.email)
    base = f"/organise/courses/{edition.course.slug}/evaluations/{edition.form.id}"
    page = client.submit(f"{base}/items", {"kind": "single", "text_vi": "Anh/chị biết khóa học qua đâu?",
                                             "text_en": "How did you hear of the course?",
                                             "options": "Email | Email\nBạn bè | Friends", "required": "y"})  # fmt: skip
    assert "The question is added." in page.get_data(as_text=True)
    db.session.expire_all()
    form = db.session.get(EvaluationForm, edition.form.id)
    added = form.items[-1]
    assert (added.kind, added.options[1]) == (ItemKind.SINGLE, {"vi": "Bạn bè", "en": "Friends"})
    refused = client.submit(
        f"{base}/items",
        {"kind": "single", "text_vi": "Chỉ tiếng Việt", "text_en": "", "options": "A | A\nB | B"},
    )
    assert "Please write the question in Vietnamese and in English." in refused.get_data(as_text=True)
    client.submit(f"{base}/items/{added.id}/move/up", {})
    db.session.expire_all()
    assert db.session.get(EvaluationForm, edition.form.id).items[-2].id == added.id
    client.submit(f"{base}/items/{added.id}/delete", {})
    client.submit(base, {"closes_on": "2031-01-31", "closes_at": "17:00"})
    db.session.expire_all()
    form = db.session.get(EvaluationForm, edition.form.id)
    assert len(form.items) == 7
    closes = form.closes_at.astimezone(edition.course.zone)
    assert (closes.date(), closes.hour, closes.minute, closes.second) == (date(2031, 1, 31), 17, 0, 59)
    # the first answer locks the items
    answering.submit_evaluation(learner_in(edition), form, full_answers(form), utcnow())
    db.session.commit()
    locked = client.submit(f"{base}/items/{form.items[0].id}/delete", {})
    assert "can no longer change" in locked.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(EvaluationForm, edition.form.id).items) == 7
    with pytest.raises(ServiceError):
        forms_setup.add_item(form, organiser, "text", {"vi": "a", "en": "b"}, [], False)
