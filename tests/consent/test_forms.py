"""Consent on the sign-up and registration forms: a checkbox per purpose, none ticked;
taking part required; optional purposes recorded only when ticked; a tampered purpose
refused with nothing saved."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.consent.models import Consent
from lms.enrollment.models import Registration
from tests.accounts.test_signup_login import SIGNUP
from tests.consent.conftest import consent_rows
from tests.enrollment.test_pages import form_for
from tests.helpers import page_text

CHECKBOX = re.compile(r'<input type="checkbox" id="consent-(\w+)" name="consent" value="(\w+)"\s*([^>]*)>')


def checkboxes(html: str) -> dict[str, str]:
    """{purpose: the rest of its input tag}."""
    return {value: rest for _id, value, rest in CHECKBOX.findall(html)}


def test_sign_up_form_has_a_checkbox_per_purpose_and_none_is_ticked(client, db, notice):
    html = client.get("/account/signup?lang=en").get_data(as_text=True)
    boxes = checkboxes(html)
    assert set(boxes) == {"course", "donor_sharing", "recordings"}
    assert not any("checked" in rest for rest in boxes.values())
    assert "Taking part in the course" in html and "(required)" in html


def test_sign_up_without_the_course_consent_is_refused_with_a_clear_message(client, db, notice):
    data = {**SIGNUP, "consent": ["recordings"]}
    text = page_text(client.submit("/account/signup?lang=en", data))
    assert "Please tick the box to agree that your details are used to take part in the course" in text
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 0
    # what was ticked stays ticked; nothing else
    boxes = checkboxes(text)
    assert "checked" in boxes["recordings"] and "checked" not in boxes["course"]


def test_sign_up_records_the_ticked_purposes_only(client, db, notice):
    response = client.submit("/account/signup", {**SIGNUP, "consent": ["course", "recordings"]})
    assert response.request.path == "/account/profile"
    user = db.session.scalar(select(User))
    assert consent_rows(db, user) == [("course", 1, "signup", False), ("recordings", 1, "signup", False)]


def test_a_tampered_purpose_is_refused_and_nothing_is_saved(client, db, notice):
    text = page_text(client.submit("/account/signup?lang=en", {**SIGNUP, "consent": ["course", "marketing"]}))
    assert "a purpose this platform does not have" in text
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_registration_asks_for_consent_unticked_and_requires_taking_part(client, db, learner, course):
    client.sign_in(learner.email)
    html = client.get("/courses/eip-test/register?lang=en").get_data(as_text=True)
    assert not any("checked" in rest for rest in checkboxes(html).values())

    data = {**form_for(course, "m1a", "m2a"), "consent": ["donor_sharing"]}
    text = page_text(client.submit("/courses/eip-test/register?lang=en", data))
    assert "Please tick the box to agree" in text
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
    assert consent_rows(db, learner) == [("course", 1, "signup", False)]

    data["consent"] = ["course", "donor_sharing"]
    response = client.submit("/courses/eip-test/register?lang=en", data)
    assert response.request.path == "/my/schedule"
    # the course consent already given is not recorded twice; the optional one is added
    assert consent_rows(db, learner) == [
        ("course", 1, "signup", False),
        ("donor_sharing", 1, "registration", False),
    ]


def test_registration_with_a_tampered_purpose_saves_nothing(client, db, learner, course):
    client.sign_in(learner.email)
    data = {**form_for(course, "m1a", "m2a"), "consent": ["course", "selling"]}
    text = page_text(client.submit("/courses/eip-test/register?lang=en", data))
    assert "a purpose this platform does not have" in text
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
    assert consent_rows(db, learner) == [("course", 1, "signup", False)]
