"""Accountability: every export of personal data is logged (who, what, when, how many
people); the donor export lists only learners who consent to sharing with the donors,
and a withdrawal takes effect in the next file while counted figures stay the same."""

from __future__ import annotations

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.consent.models import How, Purpose
from lms.consent.services import give, withdraw
from lms.reports import dashboard
from lms.reports.data import find_course
from tests.factories import PrivacyNoticeFactory
from tests.helpers import page_text
from tests.jobs.background import job_download
from tests.reports.conftest import build_edition
from tests.reports.test_exports import SLUG, by_name, read_xlsx


def export_events(db) -> list[dict]:
    db.session.expire_all()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "personal_data.exported").order_by(AuditEvent.id)
    )
    return [{"actor": event.actor_id, "course": event.course_id, **event.details} for event in events]


def donor_rows(client) -> dict[str, list]:
    response = job_download(
        client.application, client, f"/organise/courses/{SLUG}/exports/donor-participants.xlsx?lang=en"
    )
    return by_name(read_xlsx(response.get_data()))


def figures(db) -> list:
    return [table.rows for table in dashboard.build(find_course(SLUG)).workbook()]


def test_the_donor_export_lists_only_consenting_learners_and_a_withdrawal_counts_at_once(client, db):
    edition = build_edition(db)
    PrivacyNoticeFactory(version=1)
    for learner in (edition.huong, edition.bao):
        give(learner, [Purpose.COURSE, Purpose.DONOR_SHARING], How.REGISTRATION)
    give(edition.an, [Purpose.COURSE], How.REGISTRATION)  # taking part only
    db.session.commit()
    before = figures(db)
    client.sign_in(edition.organiser.email)

    rows = donor_rows(client)
    assert set(rows) == {"Nguyễn Thị Hương", "Đặng Quốc Bảo"}
    assert rows["Nguyễn Thị Hương"] == [
        "Nguyễn Thị Hương", "Ban quản lý các khu công nghiệp Đà Nẵng", "Industrial park management board", "Ha Noi", "Female"
    ]  # fmt: skip

    withdraw(edition.bao, "donor_sharing")
    db.session.commit()
    assert set(donor_rows(client)) == {"Nguyễn Thị Hương"}
    assert figures(db) == before  # counted figures still count everyone

    people = [event["people"] for event in export_events(db)]
    assert people == [2, 1]


def test_a_new_notice_version_waits_for_renewed_consent(client, db):
    edition = build_edition(db)
    PrivacyNoticeFactory(version=1)
    give(edition.huong, [Purpose.COURSE, Purpose.DONOR_SHARING], How.REGISTRATION)
    PrivacyNoticeFactory(version=2)
    db.session.commit()
    client.sign_in(edition.organiser.email)
    assert donor_rows(client) == {}
    give(edition.huong, [Purpose.COURSE, Purpose.DONOR_SHARING], How.REACCEPTANCE)
    db.session.commit()
    assert set(donor_rows(client)) == {"Nguyễn Thị Hương"}


def test_every_export_is_logged_with_who_what_and_how_many(client, db):
    edition = build_edition(db)
    client.sign_in(edition.organiser.email)
    for name in ("registrations", "attendance", "results"):
        job_download(client.application, client, f"/organise/courses/{SLUG}/exports/{name}.csv")
    roster_run = edition.course.modules[0].runs[0]
    job_download(client.application, client, f"/organise/courses/{SLUG}/runs/{roster_run.id}/roster.csv")
    job_download(client.application, client, f"/organise/courses/{SLUG}/certificates.zip")
    events = export_events(db)
    organiser, course = edition.organiser.id, edition.course.id
    assert [(e["actor"], e["course"], e["via"]) for e in events] == [(organiser, course, "web")] * 5
    assert [(e["export"], e["people"]) for e in events][:4] == [
        ("registrations.csv", 4),  # cancelled registrations included
        ("attendance.csv", 3),
        ("results.csv", 3),
        ("roster-m1-a.csv", 2),
    ]
    assert events[4]["export"].startswith(f"certificates-{SLUG}-") and events[4]["people"] == 1


def test_the_dashboard_report_names_nobody_and_is_not_logged(client, db):
    edition = build_edition(db)
    client.sign_in(edition.organiser.email)
    job_download(client.application, client, f"/organise/courses/{SLUG}/dashboard.xlsx")
    assert export_events(db) == []


def test_the_cli_logs_its_exports_too(app, db, tmp_path):
    edition = build_edition(db)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "export", "registrations", SLUG, "-o", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["lms", "certificates", "zip", SLUG, "-o", str(tmp_path / "c.zip")])
    assert result.exit_code == 0, result.output
    assert [(e["actor"], e["export"], e["people"], e["via"]) for e in export_events(db)] == [
        (None, "r.xlsx", 4, "cli"),
        (None, "c.zip", 1, "cli"),
    ]
    assert edition.course.id == export_events(db)[0]["course"]


def test_the_export_page_says_which_consent_each_export_relies_on(client, db):
    edition = build_edition(db)
    client.sign_in(edition.organiser.email)
    text = page_text(client.get(f"/organise/courses/{SLUG}/exports?lang=en"))
    assert "use it to run the course only, never send it to donors" in text
    assert "Only learners who consented to sharing their data with the programme's donors abroad" in text
