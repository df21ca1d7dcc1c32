"""A learner who corrected their name asks for their certificate with it; an organiser
approves in the queue, through the certificates' own re-issue."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.privacy.models import PrivacyRequest
from tests.conftest import email_text, sent_emails


def test_corrected_name_on_a_reissued_certificate(app, db, person):
    user = db.session.get(User, person.user_id)
    user.full_name = "Trần Thị Bích Ngọc"
    db.session.commit()
    client = app.test_client()
    client.sign_in("bichngoc.rieng@example.org")
    page = client.get("/my/certificates?lang=en").get_data(as_text=True)
    assert "Ask for a certificate with my corrected name" in page
    certificate_id = db.session.scalar(
        select(Certificate.id).where(Certificate.code == person.certificate_code)
    )
    client.submit(f"/my/certificates/{certificate_id}/correction", {})
    again = client.submit(f"/my/certificates/{certificate_id}/correction", {})
    assert "already asked for a corrected certificate" in again.get_data(as_text=True)
    assert (
        db.session.scalar(select(PrivacyRequest).where(PrivacyRequest.kind == "correction")).status == "open"
    )

    organiser = app.test_client()
    organiser.sign_in(db.session.get(User, person.organiser_id).email)
    queue = organiser.get("/organise/privacy/requests?lang=en").get_data(as_text=True)
    assert "Re-issue the certificate with the corrected name" in queue
    request_id = db.session.scalar(select(PrivacyRequest.id).where(PrivacyRequest.kind == "correction"))
    organiser.submit(f"/organise/privacy/requests/{request_id}/process", {})
    db.session.expire_all()
    old = db.session.get(Certificate, certificate_id)
    assert old.status == "replaced"
    new = db.session.get(Certificate, old.replaced_by_id)
    assert new.is_valid and new.learner_name == "Trần Thị Bích Ngọc"
    assert db.session.get(PrivacyRequest, request_id).status == "done"
    assert any(
        "certificate" in email_text(mail).lower() or "chứng nhận" in email_text(mail)
        for mail in sent_emails(app)
    )


def test_someone_elses_certificate_is_404_and_nothing_changes(app, db, person):
    certificate_id = db.session.scalar(
        select(Certificate.id).where(Certificate.code == person.certificate_code)
    )
    other = app.test_client()
    other.sign_in(db.session.get(User, person.other_id).email)
    response = other.post(
        f"/my/certificates/{certificate_id}/correction", data={"csrf_token": other.csrf_token()}
    )
    assert response.status_code == 404
    assert db.session.scalars(select(PrivacyRequest)).all() == []
