"""Download my data: a job makes one ZIP of every declared kind of record; the emailed
link works for its owner only, and not after it expired."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.db import utcnow
from lms.jobs.models import BackgroundJob
from lms.jobs.tracking import expire_results
from lms.personal_data import declared_personal_data
from tests.conftest import email_text, sent_emails
from tests.jobs.background import run_jobs

LINK = re.compile(r"https?://\S+/account/data/download/(\d+)")


def ask_and_prepare(app, client) -> int:
    response = client.submit("/account/data/download", {})
    assert "/account/data" in response.request.path
    assert run_jobs(app) >= 1
    mails = [mail for mail in sent_emails(app) if "/account/data/download/" in email_text(mail)]
    assert len(mails) == 1 and mails[0]["To"] == "bichngoc.rieng@example.org"
    return int(LINK.search(email_text(mails[0])).group(1))


def test_the_zip_holds_every_declared_kind_and_the_certificates(app, db, person):
    client = app.test_client()
    client.sign_in("bichngoc.rieng@example.org")
    job_id = ask_and_prepare(app, client)
    with client.get(f"/account/data/download/{job_id}") as response:
        assert response.status_code == 200 and response.mimetype == "application/zip"
        assert "private" in response.headers["Cache-Control"]
        archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = set(archive.namelist())
    data = json.loads(archive.read("data.json"))
    for declaration in declared_personal_data():
        assert declaration.key in data, declaration.key
        assert f"data/{declaration.key}.json" in names
    assert data["profile"][0]["full_name"] == "Trần Thị Bích Ngọc Riêng"
    assert any(
        answer["response"].startswith("Khu công nghiệp") for answer in data["quiz_attempts"][0]["answers"]
    )
    assert data["registrations"] and data["attendance"] and data["certificates"]
    assert f"certificates/{person.certificate_code}.pdf" in names
    assert archive.read(f"certificates/{person.certificate_code}.pdf").startswith(b"%PDF")
    summary = archive.read("summary.html").decode()
    assert "Trần Thị Bích Ngọc Riêng" in summary and 'lang="vi"' in summary


def test_another_account_gets_404_and_an_expired_link_says_so(app, db, person):
    client = app.test_client()
    client.sign_in("bichngoc.rieng@example.org")
    job_id = ask_and_prepare(app, client)
    other = app.test_client()
    other.sign_in(db.session.get(User, person.other_id).email)
    assert other.get(f"/account/data/download/{job_id}").status_code == 404
    organiser = app.test_client()
    organiser.sign_in(db.session.get(User, person.organiser_id).email)
    assert organiser.get(f"/account/data/download/{job_id}").status_code == 404
    assert app.test_client().get(f"/account/data/download/{job_id}").status_code == 302  # to sign in
    jobs_before = db.session.scalar(select(func.count()).select_from(BackgroundJob))
    assert expire_results(utcnow() + timedelta(hours=25)) == 1
    expired = client.get(f"/account/data/download/{job_id}?lang=en")
    assert expired.status_code == 410
    assert "This download link has expired" in expired.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == jobs_before


def test_asking_twice_while_it_is_prepared_makes_one(app, db, person):
    client = app.test_client()
    client.sign_in("bichngoc.rieng@example.org")
    client.submit("/account/data/download", {})
    client.submit("/account/data/download", {})
    assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 1
