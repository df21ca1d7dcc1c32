"""Every audience filter, in every scope, selects exactly the people the data set says."""

from __future__ import annotations

import pytest

from lms.messages.audiences import AUDIENCES, Scope

EXPECTED = {
    # scope: {audience: names}
    "edition": {
        "everyone": "ann bao chi dung khoa",
        "seat": "ann bao chi",
        "waiting": "bao dung",
        "attended": "ann chi",
        "absent": "bao",
        "incomplete": "bao chi dung khoa",
        "certified": "ann",
        "not_evaluated": "",  # its runs are still to come
    },
    "m1": {
        "everyone": "ann bao chi dung",
        "seat": "ann bao chi",
        "waiting": "dung",
        "attended": "ann chi",
        "absent": "bao",
        "incomplete": "bao dung",
        "certified": "ann",
        "not_evaluated": "",  # its runs are still to come
    },
    "m1/a": {
        "everyone": "ann bao dung",
        "seat": "ann bao",
        "waiting": "dung",
        "attended": "ann",
        "absent": "bao",
        "incomplete": "bao dung",
        "certified": "ann",
        "not_evaluated": "",  # its runs are still to come
    },
    "m1/b": {
        "everyone": "chi",
        "seat": "chi",
        "waiting": "",
        "attended": "chi",
        "absent": "",
        "incomplete": "",
        "certified": "",
        "not_evaluated": "",  # its runs are still to come
    },
    "m2/a": {
        "everyone": "ann bao",
        "seat": "ann",
        "waiting": "bao",
        "attended": "ann",
        "absent": "",
        "incomplete": "bao",
        "certified": "ann",
        "not_evaluated": "",  # its runs are still to come
    },
}


def scope_named(edition, name: str) -> Scope:
    course = edition.course
    if name == "edition":
        return Scope(course)
    if "/" not in name:
        return Scope(course, course.modules[int(name[1]) - 1])
    run = edition.run(int(name[1]), name[-1])
    return Scope(course, run.module, run)


@pytest.mark.parametrize("scope", sorted(EXPECTED))
def test_each_audience_selects_exactly_its_people(edition, scope):
    found = {name: AUDIENCES[name].select(scope_named(edition, scope)) for name in EXPECTED[scope]}
    expected = {name: edition.ids(*names.split()) for name, names in EXPECTED[scope].items()}
    assert found == expected


def test_every_registered_audience_is_checked_here():
    assert set(AUDIENCES) == set(EXPECTED["edition"])


def test_not_yet_evaluated_follows_the_evaluations_opening_rule(db, edition):
    """Module 1's runs are over and its evaluation open: ann (present) answered it, chi
    (late) did not, bao was absent, em cancelled; module 2's runs are still to come."""
    from datetime import timedelta

    from lms.db import utcnow
    from lms.evaluations.answering import submit_evaluation
    from lms.evaluations.forms_setup import apply_template, forms_of

    course = edition.course
    for run in course.modules[0].runs:
        run.starts_at = utcnow() - timedelta(days=2)
        run.ends_at = run.starts_at + timedelta(hours=2)
    apply_template(course, actor=None)
    form = next(form for form in forms_of(course) if form.module_id == course.modules[0].id)
    form.closes_at = utcnow() + timedelta(days=7)
    db.session.flush()
    answers = {
        item.id: 4 if item.kind == "rating" else "" for item in form.items if item.kind in ("rating", "text")
    }
    submit_evaluation(edition.people["ann"], form, answers, utcnow())
    db.session.commit()

    selected = {name: AUDIENCES["not_evaluated"].select(scope_named(edition, name)) for name in EXPECTED}
    assert selected == {
        "edition": edition.ids("chi"),
        "m1": edition.ids("chi"),
        "m1/a": set(),
        "m1/b": edition.ids("chi"),
        "m2/a": set(),
    }

    form.closes_at = utcnow() - timedelta(minutes=1)  # closed: nobody is asked any more
    db.session.commit()
    assert AUDIENCES["not_evaluated"].select(scope_named(edition, "edition")) == set()
