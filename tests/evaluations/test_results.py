"""The Results page, the summary, the exports: figures right, small groups suppressed,
free texts hidden by organisers (logged), trainers limited to their modules."""

from __future__ import annotations

import csv
import html
import io
import re

from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.db import utcnow
from lms.evaluations import answering
from lms.evaluations.models import EvaluationAnswer, EvaluationSettings
from lms.evaluations.results import edition_results
from lms.reports.evaluation_report import long_table
from tests.evaluations.conftest import full_answers, learner_in
from tests.factories import UserFactory


def page_text(response) -> str:
    """The page's text as a reader sees it: tags dropped, spaces folded."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split())


def answer(edition, rating: int, text: str, **profile):
    learner = learner_in(edition, **profile)
    answering.submit_evaluation(learner, edition.form, full_answers(edition.form, rating, text), utcnow())
    return learner


def six_answers(edition):
    """Five women from Da Nang and one man from Hai Phong: the man's group is small."""
    for index, rating in enumerate([5, 4, 4, 3, 5]):
        answer(edition, rating, f"Góp ý số {index}", gender="female")
    answer(edition, 1, "Only the man from Hai Phong wrote this", gender="male", province="hai-phong")
    learner_in(edition)  # attended, did not answer


def test_figures_of_a_module(db, edition):
    six_answers(edition)
    result = next(r for r in edition_results(edition.course, utcnow()) if r.form.id == edition.form.id)
    assert (result.eligible, result.responses, result.rate) == (7, 6, 85.7)
    assert [(rate.run.key, rate.eligible, rate.answered) for rate in result.runs] == [
        ("a", 7, 6),
        ("b", 0, 0),
    ]
    relevance = result.items[0]
    assert relevance.counts == [1, 0, 1, 2, 2] and relevance.mean == 3.67
    assert result.groups["gender"] == {"female": 5, "male": 1}
    assert relevance.breakdowns["gender"]["female"] == (5, 4.2)
    assert len(result.items[-1].texts) == 6


def test_results_page_suppresses_small_groups(client, db, edition):
    six_answers(edition)
    organiser = UserFactory(roles=["organiser"], locale="en")
    db.session.commit()
    client.sign_in(organiser.email)
    page = page_text(client.get(f"/organise/courses/{edition.course.slug}/results"))
    assert "6 answers of 7 learners who could answer (85.7 %)" in page
    assert "<svg" in client.get(f"/organise/courses/{edition.course.slug}/results").get_data(as_text=True)
    assert "Mean: 3.67 of 5" in page
    assert "fewer than 5" in page  # the man from Hai Phong: gender and province rows
    assert "Male fewer than 5" in page and "Female 5 4.2" in page
    assert "Góp ý số 0" in page


def test_a_module_with_fewer_than_five_answers_shows_nothing_of_them(client, db, edition):
    answer(edition, 2, "A secret text of one of four")
    for rating in (3, 4, 5):
        answer(edition, rating, "")
    organiser = UserFactory(roles=["organiser"], locale="en")
    db.session.commit()
    client.sign_in(organiser.email)
    page = page_text(client.get(f"/organise/courses/{edition.course.slug}/results"))
    assert "A secret text" not in page and "Mean:" not in page
    assert "Answers: fewer than 5" in page
    with force_locale("en"):
        exported = long_table(edition.course)
    flat = [str(cell) for row in exported.rows for cell in row]
    assert "A secret text of one of four" not in flat
    assert "3.5" not in flat and "fewer than 5" in flat


def test_cli_export_csv_and_xlsx(app, db, edition, tmp_path):
    six_answers(edition)
    db.session.commit()
    runner = app.test_cli_runner()
    target = tmp_path / "evaluations.csv"
    result = runner.invoke(args=["lms", "export", "evaluations", edition.course.slug, "--format", "csv",
                                 "-o", str(target), "--lang", "en"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["Form", "Question", "Breakdown", "Group", "Measure", "Value"]
    means = {
        (row[2], row[3]): row[5]
        for row in rows
        if row[4] == "Mean" and row[0].startswith("Module 1") and row[1].startswith("The module")
    }
    assert means[("", "")] == "3.67"
    assert means[("Gender", "Male")] == "fewer than 5" and means[("Gender", "Female")] == "4.2"
    assert "Only the man from Hai Phong wrote this" in {row[5] for row in rows}  # the form has 6: shown
    workbook = tmp_path / "evaluations.xlsx"
    result = runner.invoke(args=["lms", "export", "evaluations", edition.course.slug, "--format", "xlsx",
                                 "-o", str(workbook), "--lang", "vi"])  # fmt: skip
    assert result.exit_code == 0, result.output
    sheet = load_workbook(workbook).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "ít hơn 5" in values


def test_organisers_hide_an_abusive_text_with_an_audit_record(client, db, edition):
    six_answers(edition)
    organiser = UserFactory(roles=["organiser"], locale="en")
    db.session.commit()
    abusive = db.session.scalar(select(EvaluationAnswer).where(EvaluationAnswer.text == "Góp ý số 3"))
    client.sign_in(organiser.email)
    client.submit(f"/organise/courses/{edition.course.slug}/results/answers/{abusive.id}", {"hidden": "1"})
    db.session.expire_all()
    assert db.session.get(EvaluationAnswer, abusive.id).hidden is True
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.actor_id == organiser.id)) == (
        "evaluation_answer.hidden"
    )
    assert "Góp ý số 3" not in [str(cell) for row in long_table(edition.course).rows for cell in row]
    assert (
        client.post(
            f"/organise/courses/{edition.course.slug}/results/answers/not-an-answer",
            data={"csrf_token": client.csrf_token(), "hidden": "1"},
        ).status_code
        == 404
    )


def test_trainers_see_their_modules_unless_turned_off(client, db, edition):
    six_answers(edition)
    trainer = UserFactory(roles=["trainer"], locale="en")
    edition.ended.trainers.append(trainer)
    db.session.commit()
    client.sign_in(trainer.email)
    page = page_text(client.get(f"/organise/courses/{edition.course.slug}/results"))
    assert "Mean: 3.67 of 5" in page and "Follow-up survey" not in page and "Hide (abusive)" not in page
    db.session.add(EvaluationSettings(course_id=edition.course.id, trainers_see_results=False))
    db.session.commit()
    assert client.get(f"/organise/courses/{edition.course.slug}/results").status_code == 403


def test_printable_summary_in_either_language(client, db, edition):
    six_answers(edition)
    organiser = UserFactory(roles=["organiser"], locale="vi")
    db.session.commit()
    client.sign_in(organiser.email)
    english = page_text(client.get(f"/organise/courses/{edition.course.slug}/results/summary?in=en"))
    assert "Response rates and mean ratings" in english and "3.67" in english
    vietnamese = page_text(client.get(f"/organise/courses/{edition.course.slug}/results/summary?in=vi"))
    assert "Tỷ lệ phản hồi" in vietnamese
