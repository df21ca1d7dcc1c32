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
    },
    "m1": {
        "everyone": "ann bao chi dung",
        "seat": "ann bao chi",
        "waiting": "dung",
        "attended": "ann chi",
        "absent": "bao",
        "incomplete": "bao dung",
        "certified": "ann",
    },
    "m1/a": {
        "everyone": "ann bao dung",
        "seat": "ann bao",
        "waiting": "dung",
        "attended": "ann",
        "absent": "bao",
        "incomplete": "bao dung",
        "certified": "ann",
    },
    "m1/b": {
        "everyone": "chi",
        "seat": "chi",
        "waiting": "",
        "attended": "chi",
        "absent": "",
        "incomplete": "",
        "certified": "",
    },
    "m2/a": {
        "everyone": "ann bao",
        "seat": "ann",
        "waiting": "bao",
        "attended": "ann",
        "absent": "",
        "incomplete": "bao",
        "certified": "ann",
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
