"""The response memo (lms.caching.memo): a repeated question answered without the app,
and never an answer the data no longer gives.

Correctness only, no timing: with the memo on (``GUEST_SEATS_SECONDS`` > 0) a repeated
guest request runs no query; every kind of change that shows (made by a request, a
service, a bulk UPDATE, raw SQL, another process) is seen by the next request, except
the ones declared as shown late (seats, within the window); nothing personal is kept;
a kept 304 is the app's own 304."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text, update

from lms import create_app
from lms.caching.invalidation import scopes_of
from lms.caching.memo import ResponseMemo
from lms.catalogue.models import Course, Run
from lms.certificates.services import revoke
from lms.config import TestConfig
from lms.enrollment.ical import reset_calendar_token
from lms.extensions import db as _db
from lms.organise.runs import RunDetails, update_run
from tests.core.test_http_caching import public_paths
from tests.factories import CertificateFactory, UserFactory, course_with_modules, hold
from tests.helpers import count_queries, page_text

EN = {"Accept-Language": "en"}
WINDOW = pytest.mark.config(GUEST_SEATS_SECONDS=300)


def guest_get(client, path: str, **headers):
    return client.get(path, headers={**EN, **headers})


def memo_of(app) -> ResponseMemo:
    return app.extensions["lms.memo"]


def let_the_window_pass(app) -> None:
    memo = memo_of(app)
    later = memo.clock() + app.config["GUEST_SEATS_SECONDS"] + 1
    memo.clock = lambda: later


def answered_by_memo(app, client, path: str, **headers):
    """The answer, and whether it came without the app (no query at all)."""
    with count_queries(app) as counter:
        response = guest_get(client, path, **headers)
    return response, counter.count == 0


@pytest.fixture
def edition(db):
    course = course_with_modules(modules=2, runs_per_module=2, slug="eip-2030")
    organiser = UserFactory(roles=["organiser"], full_name="Trần Tổ Chức", locale="en")
    learner = UserFactory(full_name="Lê Học Viên", email="learner@example.org", locale="en")
    hold(learner, course.runs[0])
    certificate = CertificateFactory(user=learner, course=course)
    db.session.commit()
    return course, organiser, learner, certificate


# -- a repeated question -------------------------------------------------------------------


@WINDOW
def test_a_repeated_question_is_answered_without_the_app_and_alike(app, client, edition):
    course, _, learner, certificate = edition
    for path in public_paths(course, learner, certificate):
        for headers in ({}, {"Accept-Encoding": "gzip"}):
            first, _ = answered_by_memo(app, client, path, **headers)
            again, from_memo = answered_by_memo(app, client, path, **headers)
            assert from_memo, path
            assert again.status_code == 200 and again.data == first.data, path
            assert dict(again.headers) == dict(first.headers), path
            tag = first.headers["ETag"]
            asked, _ = answered_by_memo(app, client, path, **headers, **{"If-None-Match": tag})
            by_app = app.test_client()  # the memo off for comparison: what the app answers
            memo_of(app).lifetime = 0
            expected = guest_get(by_app, path, **headers, **{"If-None-Match": tag})
            memo_of(app).lifetime = 300
            assert asked.status_code == expected.status_code == 304, path
            assert asked.data == b"" and asked.headers["ETag"] == tag, path
            # the app's own 304 headers, and at most the 200's others (its CORS header)
            assert dict(expected.headers).items() <= dict(asked.headers).items(), path
            assert dict(asked.headers).items() - dict(expected.headers).items() <= dict(first.headers).items()
            assert client.head(path, headers={**EN, **headers}).data == b""


@WINDOW
def test_each_variant_is_its_own_answer(app, client, edition):
    english, _ = answered_by_memo(app, client, "/courses/eip-2030")
    vietnamese, from_memo = answered_by_memo(app, client, "/courses/eip-2030", **{"Accept-Language": "vi"})
    assert not from_memo and 'lang="vi"' in page_text(vietnamese) and 'lang="en"' in page_text(english)
    chosen = client.get("/courses/eip-2030?lang=vi", headers=EN)  # sets the session's language
    assert "Set-Cookie" in chosen.headers
    assert 'html lang="vi"' in page_text(client.get("/courses/eip-2030", headers=EN))  # the cookie varies


@WINDOW
def test_signed_in_readers_are_never_answered_from_the_memo(app, client, db, edition):
    _, organiser, learner, _ = edition
    guest_page = guest_get(client, "/courses/eip-2030")
    guest_get(client, "/courses/eip-2030")
    for person in (learner, organiser):
        reader = app.test_client()
        reader.sign_in(person.email)
        for _ in range(2):
            page, from_memo = answered_by_memo(app, reader, "/courses/eip-2030")
            assert not from_memo and "/account/logout" in page_text(page)
            assert page.data != guest_page.data
    flat = [repr(kept) for kept in memo_of(app).kept.values()]
    assert not any(person.full_name in entry for entry in flat for person in (learner, organiser))


# -- every change that shows is seen at once -------------------------------------------------


@WINDOW
def test_changes_made_through_the_services_show_on_the_next_request(app, client, db, edition):
    course, organiser, _, certificate = edition
    for path in ("/courses/eip-2030", "/courses/eip-2030/modules/m1", "/courses/eip-2030/calendar.ics"):
        guest_get(client, path)
    run = db.session.get(Run, course.runs[0].id)
    update_run(
        run, RunDetails(label=run.label, starts=datetime(2031, 3, 4, 9, 0), capacity=run.capacity), organiser
    )
    db.session.commit()
    assert "March 4, 2031" in page_text(guest_get(client, "/courses/eip-2030"))
    assert "March 4, 2031" in page_text(guest_get(client, "/courses/eip-2030/modules/m1"))
    assert b"20310304T090000" in guest_get(client, "/courses/eip-2030/calendar.ics").data

    verify = f"/verify/{certificate.code}"
    assert "revoked" not in page_text(guest_get(client, verify)).lower()
    guest_get(client, verify)
    revoke(db.session.merge(certificate), "Issued by mistake.", organiser)
    db.session.commit()
    assert "revoked" in page_text(guest_get(client, verify)).lower()


@WINDOW
def test_a_feed_shows_its_owners_new_seat_at_once_and_an_old_link_stops(app, client, db, edition):
    course, _, learner, _ = edition
    feed = f"/calendar/{learner.calendar_token}.ics"
    before = guest_get(client, feed)
    guest_get(client, feed)
    hold(db.session.merge(learner), db.session.get(Run, course.runs[2].id))  # module 2
    db.session.commit()
    assert f"run-{course.runs[2].id}@".encode() in guest_get(client, feed).data
    assert before.status_code == 200
    reset_calendar_token(db.session.merge(learner))
    db.session.commit()
    assert guest_get(client, feed).status_code == 404


@WINDOW
def test_bulk_updates_and_raw_sql_show_on_the_next_request(app, client, db, edition):
    course, *_ = edition
    course_id, run_id = course.id, course.runs[2].id
    guest_get(client, "/courses/eip-2030")
    db.session.execute(update(Course).where(Course.id == course_id).values(summary={"en": "Bulk summary."}))
    db.session.commit()
    assert "Bulk summary." in page_text(guest_get(client, "/courses/eip-2030"))
    assert "20 seats left" in page_text(guest_get(client, "/courses/eip-2030/modules/m2"))
    db.session.commit()  # the test's own session holds no transaction (SQLite's lock)
    with db.engine.begin() as connection:  # outside any session
        connection.execute(text("UPDATE run SET capacity = 7 WHERE id = :id"), {"id": run_id})
    assert "7 seats left" in page_text(guest_get(client, "/courses/eip-2030/modules/m2"))


@WINDOW
def test_seats_show_to_guests_within_the_window(app, client, db, edition):
    course, *_ = edition
    first = guest_get(client, "/courses/eip-2030/modules/m2")
    assert "20 seats left" in page_text(first)
    hold(UserFactory(), db.session.get(Run, course.runs[2].id))
    db.session.commit()
    again, from_memo = answered_by_memo(app, client, "/courses/eip-2030/modules/m2")
    assert from_memo and again.data == first.data  # a seat is shown late, as the README says
    let_the_window_pass(app)
    with app.app_context():
        from lms.caching.store import cache

        cache.delete(f"seats:{course.id}")
    assert "19 seats left" in page_text(guest_get(client, "/courses/eip-2030/modules/m2"))


@WINDOW
def test_a_change_made_by_another_process_is_seen(app, client, db, edition, database_url):
    course_id = edition[0].id
    guest_get(client, "/courses/eip-2030")
    db.session.commit()  # the test's own session holds no transaction (SQLite's lock)
    other = create_app(_config_like(app, database_url))  # another worker of the same machine
    try:
        with other.app_context():
            _db.session.execute(update(Course).where(Course.id == course_id).values(title={"en": "Retitled"}))
            _db.session.commit()
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()
    assert "Retitled" in page_text(guest_get(client, "/courses/eip-2030"))


def _config_like(app, database_url) -> TestConfig:
    config = TestConfig(database_url, Path(app.instance_path))  # the same instance folder
    config.GUEST_SEATS_SECONDS = 300
    return config


# -- what the engine's statements change -------------------------------------------------------


def test_which_writes_change_which_scope():
    assert scopes_of("SELECT course.id FROM course") == ()
    assert scopes_of("UPDATE course SET summary=? WHERE course.id = ?") == ("public", "personal")
    assert (
        scopes_of("UPDATE run SET taken=(run.taken + ?) WHERE run.id = ? AND run.taken < run.capacity") == ()
    )
    assert scopes_of("UPDATE run SET taken=?, capacity=? WHERE run.id = ?") == ("public", "personal")
    assert scopes_of('UPDATE "user" SET last_login_at=? WHERE "user".id = ?') == ()
    assert scopes_of('UPDATE "user" SET full_name=? WHERE "user".id = ?') == ("public", "personal")
    assert scopes_of('INSERT INTO "user" (email, full_name) VALUES (?, ?)') == ()
    assert scopes_of("INSERT INTO registration (user_id) VALUES (?)") == ("personal",)
    assert scopes_of("DELETE FROM run_trainer WHERE run_id = ?") == ("public", "personal")
    assert scopes_of("INSERT INTO audit_event (action) VALUES (?)") == ()
    assert scopes_of("ALTER TABLE course ADD COLUMN x INTEGER") == ("public", "personal")
    assert scopes_of("WITH x AS (SELECT 1) UPDATE course SET title=?") == ("public", "personal")


@WINDOW
def test_the_memo_is_bounded(app, client, edition):
    memo = memo_of(app)
    memo.max_entries = 3
    for number in range(6):
        guest_get(client, f"/courses/eip-2030?page={number}")
    assert len(memo.kept) == 3
    assert memo.bytes == sum(len(kept.body or b"") for kept in memo.kept.values())
    memo.max_bytes = memo.bytes - 1  # one body fewer fits
    guest_get(client, "/courses/eip-2030?page=new")
    assert len(memo.kept) <= 2 and memo.bytes <= memo.max_bytes


def test_with_redis_a_change_on_another_machine_is_seen(database_url, redis_url, tmp_path):
    """Two apps with their own instance folders (two machines) share generations in Redis."""
    apps = [create_app(_redis_config(database_url, redis_url, tmp_path / name)) for name in ("one", "two")]
    try:
        with apps[0].app_context():
            course = course_with_modules(modules=1, runs_per_module=1, slug="eip-2040")
            _db.session.commit()
            course_id = course.id
        reader = apps[0].test_client()
        guest_get(reader, "/courses/eip-2040")
        _, from_memo = answered_by_memo(apps[0], reader, "/courses/eip-2040")
        assert from_memo
        with apps[1].app_context():
            _db.session.execute(
                update(Course).where(Course.id == course_id).values(title={"en": "Elsewhere"})
            )
            _db.session.commit()
        assert "Elsewhere" in page_text(guest_get(reader, "/courses/eip-2040"))
    finally:
        for app in apps:
            with app.app_context():
                _db.session.remove()
        with apps[0].app_context():
            from tests.conftest import empty_all_tables

            empty_all_tables()
        for app in apps:
            with app.app_context():
                _db.engine.dispose()


def _redis_config(database_url, redis_url, instance: Path) -> TestConfig:
    config = TestConfig(database_url, instance)
    config.CACHE_URL = redis_url
    config.GUEST_SEATS_SECONDS = 300
    return config


@pytest.mark.config(GUEST_SEATS_SECONDS=5, CACHE_TIMEOUT=300)
def test_answers_that_read_no_seats_nor_the_clock_are_kept_longer(app, client, edition):
    _, _, learner, certificate = edition
    memo = memo_of(app)
    timeless = [
        f"/verify/{certificate.code}",
        f"/calendar/{learner.calendar_token}.ics",
        "/courses/eip-2030/calendar.ics",
    ]
    timed = ["/courses/eip-2030", "/api/v1/courses/eip-2030"]
    for path in timeless + timed:
        guest_get(client, path)
    now = memo.clock()
    memo.clock = lambda: now + app.config["GUEST_SEATS_SECONDS"] + 1
    assert all(answered_by_memo(app, client, path)[1] for path in timeless)
    assert not any(answered_by_memo(app, client, path)[1] for path in timed)
    memo.clock = lambda: now + app.config["CACHE_TIMEOUT"] + 1
    assert not any(answered_by_memo(app, client, path)[1] for path in timeless)
