"""/account/data: the learner's consents, withdrawn (or given) with effect at once."""

from __future__ import annotations

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.consent.models import Purpose
from lms.consent.services import consenting_user_ids, give
from tests.consent.conftest import consent_rows
from tests.factories import UserFactory
from tests.helpers import count_queries, page_text


def test_guests_are_sent_to_sign_in(client, db):
    response = client.get("/account/data")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_the_page_lists_each_consent_with_version_time_and_how(client, db, learner):
    client.sign_in(learner.email)
    text = page_text(client.get("/account/data?lang=en"))
    assert "Taking part in the course" in text and "sign-up form" in text
    assert 'href="/privacy/1"' in text
    assert 'href="/account/delete"' in text  # withdrawing taking part = asking for deletion
    assert "/account/data/consents/recordings/give" in text
    assert "/account/data/consents/course/withdraw" not in text


def test_withdrawing_takes_effect_at_once_and_is_audited(client, db, learner):
    from lms.consent.models import How

    give(learner, [Purpose.DONOR_SHARING], How.REGISTRATION)
    db.session.commit()
    assert consenting_user_ids(Purpose.DONOR_SHARING, [learner.id]) == {learner.id}
    client.sign_in(learner.email)
    response = client.submit("/account/data/consents/donor_sharing/withdraw?lang=en", {})
    assert "Your consent is withdrawn" in page_text(response)
    assert consenting_user_ids(Purpose.DONOR_SHARING, [learner.id]) == set()
    assert ("donor_sharing", 1, "registration", True) in consent_rows(db, learner)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.withdrawn"))
    assert event.actor_id == learner.id and event.details == {"purpose": "donor_sharing", "version": 1}


def test_giving_an_optional_consent_from_the_page(client, db, learner):
    client.sign_in(learner.email)
    client.submit("/account/data/consents/recordings/give", {})
    assert ("recordings", 1, "profile", False) in consent_rows(db, learner)
    again = page_text(client.submit("/account/data/consents/recordings/give?lang=en", {}))
    assert "already given" in again
    assert [row for row in consent_rows(db, learner) if row[0] == "recordings"] == [
        ("recordings", 1, "profile", False)
    ]


def test_the_course_consent_is_not_withdrawn_here(client, db, learner):
    client.sign_in(learner.email)
    text = page_text(client.submit("/account/data/consents/course/withdraw?lang=en", {}))
    assert "ask for your account to be deleted" in text
    assert consent_rows(db, learner) == [("course", 1, "signup", False)]


def test_without_a_csrf_token_nothing_changes(client, db, learner):
    client.sign_in(learner.email)
    client.post("/account/data/consents/recordings/give")
    assert consent_rows(db, learner) == [("course", 1, "signup", False)]


def test_an_unknown_purpose_is_not_found(client, db, learner):
    client.sign_in(learner.email)
    assert (
        client.submit("/account/data/consents/marketing/withdraw", {}, follow_redirects=False).status_code
        == 404
    )


def test_withdrawing_what_was_never_given_says_so(client, db, learner):
    client.sign_in(learner.email)
    text = page_text(client.submit("/account/data/consents/recordings/withdraw?lang=en", {}))
    assert "nothing was changed" in text


def test_a_learner_sees_only_their_own_consents(client, db, learner):
    other = UserFactory(email="other@example.org", full_name="Người Khác")
    give(other, [Purpose.RECORDINGS], "signup")
    db.session.commit()
    client.sign_in(learner.email)
    html = client.get("/account/data?lang=en").get_data(as_text=True)
    assert "Appearing in recordings" in html
    assert html.count("sign-up form") == 1  # their own course consent only


def test_the_page_makes_a_fixed_number_of_queries(app, client, db, learner):
    from lms.consent.models import How

    client.sign_in(learner.email)
    with count_queries(app) as few:
        assert client.get("/account/data").status_code == 200
    for purpose in (Purpose.DONOR_SHARING, Purpose.RECORDINGS):
        give(learner, [purpose], How.PROFILE)
    db.session.commit()
    with count_queries(app) as more:
        assert client.get("/account/data").status_code == 200
    assert few.count == more.count


def test_the_data_download_holds_the_consents(db, learner):
    from lms.consent.models import How
    from lms.consent.services import withdraw
    from lms.personal_data import declared_personal_data

    give(learner, [Purpose.RECORDINGS], How.PROFILE)
    withdraw(learner, "recordings")
    (consents,) = [one for one in declared_personal_data() if one.key == "consents"]
    records = consents.export(learner.id)
    assert [(r["purpose"], r["notice_version"], r["how"], r["withdrawn_at"] is None) for r in records] == [
        ("course", 1, "signup", True),
        ("recordings", 1, "profile", False),
    ]
