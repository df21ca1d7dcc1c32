"""The organisers' privacy page: notice versions (publishing a new one, with a
preview), consents per version and purpose, the printable processing record."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.consent.models import How, PrivacyNotice, Purpose
from lms.consent.services import give, withdraw
from tests.factories import UserFactory
from tests.helpers import count_queries, page_text

NEW = "/organise/privacy/notices/new"


def table_rows(html: str, section: str) -> list[list[str]]:
    """The body rows of the table in the section with this id, as plain cell texts."""
    part = html.split(f'id="{section}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", part, re.S)
    ]


def organiser(client, db):
    user = UserFactory(email="chau@example.org", full_name="Đỗ Minh Châu", roles=["organiser"])
    db.session.commit()
    client.sign_in(user.email)
    return user


def test_only_organisers_open_the_privacy_pages(client, db, learner):
    client.sign_in(learner.email)
    assert client.get("/organise/privacy").status_code == 403
    assert client.get(NEW).status_code == 403


def test_the_page_lists_versions_counts_and_the_processing_record(client, db, learner):
    give(learner, [Purpose.DONOR_SHARING], How.REGISTRATION)
    other = UserFactory()
    give(other, [Purpose.COURSE, Purpose.DONOR_SHARING], How.SIGNUP)
    withdraw(other, "donor_sharing")
    db.session.commit()
    organiser(client, db)
    html = client.get("/organise/privacy?lang=en").get_data(as_text=True)
    text = page_text(client.get("/organise/privacy?lang=en"))
    assert "shipped with the platform" in text and "in force" in text
    # version 1, sharing with donors: 2 given, 1 withdrawn, 1 in force
    assert table_rows(html, "consent-counts") == [
        ["1", "Taking part in the course", "2", "0", "2"],
        ["1", "Sharing my personal data with the programme's donors abroad", "2", "1", "1"],
    ]
    assert "Record of processing" in text and "Legal basis" in text and "cross-border transfer" in text
    assert 'href="/organise/privacy/requests"' in html
    assert 'class="panel print-record"' in html


def test_publishing_a_version_with_a_preview_first(client, db, notice):
    user = organiser(client, db)
    form = client.get(NEW + "?lang=en").get_data(as_text=True)
    assert "Notice version 1" in form  # starts from the text in force
    texts = {"text_vi": "## Mới\n\nNội dung <script>x</script>", "text_en": "## New\n\nText"}
    preview = client.submit(NEW + "?lang=en", {**texts, "preview": "1"}).get_data(as_text=True)
    assert "<h2>New</h2>" in preview and "<script>" not in preview
    assert db.session.scalar(select(func.count()).select_from(PrivacyNotice)) == 1

    response = client.submit(NEW + "?lang=en", {**texts, "publish": "1"})
    assert response.request.path == "/organise/privacy"
    assert "Version 2 is published" in page_text(response)
    db.session.expire_all()
    latest = db.session.scalar(select(PrivacyNotice).where(PrivacyNotice.version == 2))
    assert latest.published_by_id == user.id and latest.text["en"] == "## New\n\nText"
    assert db.session.scalar(select(PrivacyNotice.text).where(PrivacyNotice.version == 1)) == {
        "vi": "## Thông báo phiên bản 1",
        "en": "## Notice version 1",
    }  # never edited
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy_notice.published"))
    assert event.actor_id == user.id and event.details == {"version": 2}


def test_a_language_left_empty_is_refused(client, db, notice):
    organiser(client, db)
    text = page_text(
        client.submit(NEW + "?lang=en", {"text_vi": "", "text_en": "Only English", "publish": "1"})
    )
    assert "Please write the notice in this language too." in text
    assert db.session.scalar(select(func.count()).select_from(PrivacyNotice)) == 1


def test_the_public_notice_shows_the_version_in_force_and_earlier_ones(client, db, notice):
    organiser(client, db)
    client.submit(NEW, {"text_vi": "## Bản hai", "text_en": "## Second", "publish": "1"})
    assert "<h2>Second</h2>" in client.get("/privacy?lang=en").get_data(as_text=True)
    earlier = client.get("/privacy/1?lang=en").get_data(as_text=True)
    assert "Notice version 1" in earlier and "A newer version is in force." in earlier
    assert client.get("/privacy/9").status_code == 404


def test_before_any_version_the_shipped_notice_is_shown(client, db):
    text = page_text(client.get("/privacy?lang=en"))
    assert "Global Eco-Industrial Parks Programme" in text and "91/2025/QH15" in text


def test_the_page_makes_a_fixed_number_of_queries(app, client, db, notice):
    organiser(client, db)
    with count_queries(app) as few:
        assert client.get("/organise/privacy").status_code == 200
    for _ in range(5):
        user = UserFactory()
        give(user, [Purpose.COURSE, Purpose.RECORDINGS], How.SIGNUP)
    client.submit(NEW, {"text_vi": "## Bản hai", "text_en": "## Second", "publish": "1"})
    with count_queries(app) as more:
        assert client.get("/organise/privacy").status_code == 200
    assert few.count == more.count
