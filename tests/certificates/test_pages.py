"""The public verify page, learners' downloads and the organisers' certificate list."""

from __future__ import annotations

import io
import unicodedata
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.certificates.models import Certificate
from lms.certificates.services import display_code
from tests.certificates.test_issue import complete
from tests.completion.test_progress import setup_course
from tests.factories import UserFactory
from tests.helpers import count_queries, page_text
from tests.jobs.background import job_download


@pytest.fixture
def certified(db):
    """A course whose learner "Nguyễn Thị Hồng Hạnh" holds a certificate, and its organiser."""
    course, learner, organiser = setup_course(db)
    learner.full_name = "Nguyễn Thị Hồng Hạnh"
    organiser.email = "boss@example.org"
    db.session.commit()
    complete(db, course, learner, organiser)
    return course, learner, organiser, db.session.scalar(select(Certificate))


def sign_out(client):
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


def test_a_valid_certificate_verifies_without_signing_in(client, certified):
    course, learner, _, certificate = certified
    response = client.get(f"/verify/{display_code(certificate.code)}?lang=en")
    text = page_text(response)
    assert response.status_code == 200
    assert "This certificate is genuine." in text and "Nguyễn Thị Hồng Hạnh" in text
    assert course.title["en"] in text
    assert learner.email not in text and (learner.organisation or "@") not in text  # nothing else about them
    assert "<script" not in text
    assert response.headers["X-Robots-Tag"] == "noindex"
    # typed in lower case with spaces, or with O for 0: the same certificate
    sloppy = display_code(certificate.code).lower().replace("-", " ").replace("0", "o")
    assert client.get(f"/verify?code={sloppy}").headers["Location"].endswith(display_code(certificate.code))


def test_revoked_replaced_and_unknown_codes(client, db, certified):
    course, _learner, _organiser, certificate = certified
    client.sign_in("boss@example.org")
    base = f"/organise/courses/{course.slug}/certificates"
    text = page_text(client.submit(f"{base}/{certificate.id}/reissue?lang=en", {}))
    new = db.session.scalar(select(Certificate).where(Certificate.status == "valid"))
    assert f"Certificate {display_code(certificate.code)} is replaced by {display_code(new.code)}." in text
    text = page_text(client.submit(f"{base}/{new.id}/revoke?lang=en", {"reason": "Gian lận bài kiểm tra"}))
    assert f"Certificate {display_code(new.code)} is revoked." in text
    sign_out(client)

    replaced = client.get(f"/verify/{display_code(certificate.code)}?lang=en")
    assert replaced.status_code == 200 and "replaced by a newer one" in page_text(replaced)
    revoked = page_text(client.get(f"/verify/{display_code(new.code)}?lang=en"))
    assert "was revoked on" in revoked and "Gian lận" not in revoked  # the reason stays internal
    unknown = client.get("/verify/7KQ3-M9XD-2B4F-W8RT-ZP6H-C1NV-5YJE?lang=en")
    assert unknown.status_code == 404 and "No certificate has this code." in page_text(unknown)
    assert client.get("/verify/not-a-code?lang=vi").status_code == 404
    assert "Không tìm thấy" in page_text(client.get("/verify/not-a-code?lang=vi"))


def test_the_verify_page_makes_few_queries(app, client, certified):
    *_, certificate = certified
    with count_queries(app) as queries:
        client.get(f"/verify/{display_code(certificate.code)}")
    assert queries.count <= 5  # 4, and the certificate's version (lms.caching)


def test_learners_download_their_own_certificate_only(client, db, certified):
    _course, learner, _organiser, certificate = certified
    UserFactory(email="someone.else@example.org")
    db.session.commit()
    url = f"/certificates/{certificate.id}/download"
    assert client.get(url).status_code == 302  # sign in first
    client.sign_in(learner.email)
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = pdf_text(response.data)
    assert "Nguyễn Thị Hồng Hạnh" in text and display_code(certificate.code) in text
    for page in ("/my/certificates?lang=en", "/my/schedule?lang=en"):
        mine = page_text(client.get(page))
        assert display_code(certificate.code) in mine and url in mine
    sign_out(client)
    client.sign_in("someone.else@example.org")
    assert client.get(url).status_code == 404
    assert display_code(certificate.code) not in page_text(client.get("/my/certificates"))


def test_a_revoked_certificate_is_no_longer_the_learners_to_download(client, db, certified):
    _course, learner, organiser, certificate = certified
    from lms.certificates.services import revoke

    revoke(certificate, "Sai tên đơn vị", organiser)
    db.session.commit()
    client.sign_in(learner.email)
    assert client.get(f"/certificates/{certificate.id}/download").status_code == 404
    sign_out(client)
    client.sign_in("boss@example.org")
    assert client.get(f"/certificates/{certificate.id}/download").status_code == 200


def test_organisers_download_an_editions_certificates_as_one_zip(app, client, db, certified):
    course, _learner, _organiser, certificate = certified
    client.sign_in("boss@example.org")
    response = job_download(app, client, f"/organise/courses/{course.slug}/certificates.zip")
    assert response.mimetype == "application/zip"
    assert response.filename.startswith(f"certificates-{course.slug}-") and response.filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    [name] = archive.namelist()
    assert name.startswith("Nguyễn-Thị-Hồng-Hạnh-")
    assert display_code(certificate.code) in pdf_text(archive.read(name))


def test_only_organisers_manage_certificates(client, db, certified):
    course, learner, _organiser, certificate = certified
    trainer = UserFactory(email="trainer@example.org", roles=["trainer"])
    course.modules[0].runs[0].trainers.append(trainer)
    db.session.commit()
    base = f"/organise/courses/{course.slug}/certificates"
    for email in (learner.email, "trainer@example.org"):
        client.sign_in(email)
        assert client.get(base).status_code == 403
        assert client.submit(f"{base}.zip", {}, follow_redirects=False).status_code == 403
        assert client.submit(f"{base}/issue", {}, follow_redirects=False).status_code == 403
        assert (
            client.submit(
                f"{base}/{certificate.id}/revoke", {"reason": "x"}, follow_redirects=False
            ).status_code
            == 403
        )
        sign_out(client)
    client.sign_in("boss@example.org")
    text = page_text(client.get(f"{base}?lang=en"))
    assert display_code(certificate.code) in text and "automatically on completion" in text
    # no state change by GET, and none without the CSRF token
    assert client.get(f"{base}/{certificate.id}/revoke").status_code == 405
    assert client.get(f"{base}.zip").status_code == 405
    client.post(f"{base}/{certificate.id}/revoke", data={"reason": "x"})
    db.session.refresh(certificate)
    assert certificate.is_valid


def test_the_learners_progress_page_offers_the_certificate(client, certified):
    course, learner, _, certificate = certified
    client.sign_in(learner.email)
    text = page_text(client.get(f"/my/progress/{course.slug}?lang=en"))
    assert f"Certificate {display_code(certificate.code)}, issued on" in text
    assert f"/certificates/{certificate.id}/download" in text
