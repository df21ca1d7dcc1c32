"""HTTP caching (lms.caching): conditional GET, the guests' page cache, Cache-Control,
compression and static files, on both databases and with a real Redis.

Correctness only, no timing: after each kind of change the next guest request shows it;
an ETag changes when, and only when, the response does; a 304 has no body and makes few
queries; a signed-in reader never gets a guest's page and nothing of theirs enters the
shared cache."""

from __future__ import annotations

import gzip
import re
from datetime import datetime

import pytest
import redis
from flask import url_for

from lms import create_app
from lms.caching.store import cache
from lms.config import TestConfig
from lms.enrollment.models import ChoiceStatus
from lms.enrollment.services import give_back_seat
from lms.extensions import db as _db
from lms.materials.services import Details, add_link, set_published
from lms.organise.runs import RunDetails, cancel_run, update_run
from tests.factories import CertificateFactory, UserFactory, course_with_modules, hold
from tests.helpers import count_queries, page_text

EN = {"Accept-Language": "en"}
LIVE_SEATS = pytest.mark.config(GUEST_SEATS_SECONDS=0)
# Changes other than seats show at once whether answers are kept (the response memo) or not.
MEMO_ON_AND_OFF = pytest.mark.parametrize(
    "window",
    [pytest.param(seconds, marks=pytest.mark.config(GUEST_SEATS_SECONDS=seconds)) for seconds in (0, 300)],
)


def guest_get(client, path: str, **headers):
    return client.get(path, headers={**EN, **headers})


def etag_of(response) -> str:
    return response.headers["ETag"]


def without_stamps(data: bytes) -> bytes:
    """An iCalendar body without DTSTAMP (the time it was rendered)."""
    return re.sub(rb"DTSTAMP:[0-9TZ]+\r\n", b"", data)


@pytest.fixture
def edition(db):
    course = course_with_modules(modules=2, runs_per_module=2, slug="eip-2030")
    organiser = UserFactory(
        roles=["organiser"], full_name="Trần Tổ Chức", email="organiser@example.org", locale="en"
    )
    learner = UserFactory(full_name="Lê Học Viên", email="learner@example.org", locale="en")
    db.session.commit()
    return course, organiser, learner


# -- after each kind of change, the next guest request shows it ----------------------------


@LIVE_SEATS
def test_a_seat_taken_or_given_back_shows_on_the_next_guest_request(client, db, edition):
    course, _, learner = edition
    run = course.runs[0]
    before = guest_get(client, "/courses/eip-2030")
    assert "20 seats left" in page_text(before)
    choice = hold(learner, run)
    db.session.commit()
    taken = guest_get(client, "/courses/eip-2030")
    assert "19 seats left" in page_text(taken) and etag_of(taken) != etag_of(before)
    assert "19 seats left" in page_text(guest_get(client, "/courses/eip-2030/modules/m1"))
    choice.status = ChoiceStatus.CANCELLED
    give_back_seat(run.id)
    db.session.commit()
    back = guest_get(client, "/courses/eip-2030")
    assert "19 seats left" not in page_text(back)
    assert etag_of(back) == etag_of(before)  # the same page again: the same tag
    assert back.data == before.data


@pytest.mark.config(GUEST_SEATS_SECONDS=300)
def test_guests_may_see_seats_up_to_the_window_old_signed_in_readers_never(client, db, edition):
    course, _, learner = edition
    run = course.runs[0]
    assert "20 seats left" in page_text(guest_get(client, "/courses/eip-2030"))
    hold(UserFactory(), run)
    db.session.commit()
    assert "20 seats left" in page_text(guest_get(client, "/courses/eip-2030"))  # within the window
    signed_in = client.application.test_client()
    signed_in.sign_in(learner.email)
    assert "19 seats left" in page_text(signed_in.get("/courses/eip-2030"))  # live
    assert "19 seats left" in page_text(
        signed_in.get("/courses/eip-2030/register", headers=EN)
    )  # the form: live
    with client.application.app_context():
        cache.delete(f"seats:{course.id}")  # the window has passed: for the seats' cache…
    memo = client.application.extensions["lms.memo"]
    later = memo.clock() + 301
    memo.clock = lambda: later  # … and for the answers the response memo keeps
    assert "19 seats left" in page_text(guest_get(client, "/courses/eip-2030"))


@MEMO_ON_AND_OFF
def test_a_run_rescheduled_or_cancelled_shows_on_the_next_guest_request(client, db, edition, window):
    course, organiser, _ = edition
    run = course.runs[0]
    before = guest_get(client, "/courses/eip-2030")
    module_before = guest_get(client, "/courses/eip-2030/modules/m1")
    calendar_before = client.get("/courses/eip-2030/calendar.ics")
    update_run(
        run, RunDetails(label=run.label, starts=datetime(2031, 3, 4, 9, 0), capacity=run.capacity), organiser
    )
    db.session.commit()
    moved = guest_get(client, "/courses/eip-2030")
    assert "March 4, 2031" in page_text(moved) and etag_of(moved) != etag_of(before)
    assert "March 4, 2031" in page_text(guest_get(client, "/courses/eip-2030/modules/m1"))
    calendar_moved = client.get("/courses/eip-2030/calendar.ics")
    assert b"20310304T090000" in calendar_moved.data and etag_of(calendar_moved) != etag_of(calendar_before)
    cancel_run(run, {"vi": "Giảng viên ốm.", "en": "The trainer is ill."}, organiser)
    db.session.commit()
    cancelled = guest_get(client, "/courses/eip-2030/modules/m1")
    assert "Cancelled" in page_text(cancelled)
    assert etag_of(cancelled) not in (etag_of(module_before), etag_of(moved))
    assert b"STATUS:CANCELLED" in client.get("/courses/eip-2030/calendar.ics").data


@MEMO_ON_AND_OFF
def test_trainers_materials_and_texts_show_on_the_next_guest_request(client, db, edition, window):
    course, organiser, _ = edition
    module = course.modules[0]
    module_page = guest_get(client, "/courses/eip-2030/modules/m1")
    course_page = guest_get(client, "/courses/eip-2030")
    catalogue = guest_get(client, "/")

    course.runs[0].trainers = [UserFactory(roles=["trainer"], full_name="Phạm Giảng Viên")]
    db.session.commit()
    assert "Phạm Giảng Viên" in page_text(guest_get(client, "/courses/eip-2030"))

    details = Details(title={"en": "Slides on symbiosis"}, description={}, languages=["en"], visibility="everyone",
                      url="https://example.org/slides")  # fmt: skip
    material = add_link(module, organiser, details)
    set_published(material, organiser, False)
    db.session.commit()
    assert "Slides on symbiosis" not in page_text(guest_get(client, "/courses/eip-2030/modules/m1"))
    set_published(material, organiser, True)
    db.session.commit()
    published = guest_get(client, "/courses/eip-2030/modules/m1")
    assert "Slides on symbiosis" in page_text(published) and etag_of(published) != etag_of(module_page)

    module.outline = {"vi": "Đề cương mới.", "en": "A new outline."}
    db.session.commit()
    assert "A new outline." in page_text(guest_get(client, "/courses/eip-2030/modules/m1"))
    module.title = {"vi": "Tiêu đề mới", "en": "A new module title"}
    db.session.commit()
    assert "A new module title" in page_text(guest_get(client, "/courses/eip-2030"))
    course.summary = {"vi": "Tóm tắt mới.", "en": "A new summary."}
    db.session.commit()
    edited = guest_get(client, "/courses/eip-2030")
    assert "A new summary." in page_text(edited) and etag_of(edited) != etag_of(course_page)
    new_catalogue = guest_get(client, "/")
    assert "A new summary." in page_text(new_catalogue) and etag_of(new_catalogue) != etag_of(catalogue)


def test_each_language_is_its_own_page(client, edition):
    english = guest_get(client, "/courses/eip-2030")
    vietnamese = client.get("/courses/eip-2030", headers={"Accept-Language": "vi"})
    assert 'lang="en"' in page_text(english) and 'lang="vi"' in page_text(vietnamese)
    assert etag_of(english) != etag_of(vietnamese)
    chosen = client.get("/courses/eip-2030?lang=vi", headers=EN)  # a language chosen on the page
    assert 'html lang="vi"' in page_text(chosen)
    assert 'html lang="vi"' in page_text(client.get("/courses/eip-2030", headers=EN))  # kept in the session
    assert "Accept-Language" in english.headers["Vary"] and "Cookie" in english.headers["Vary"]


# -- ETags and 304s -----------------------------------------------------------------------


def public_paths(course, learner, certificate) -> list[str]:
    return [
        "/",
        "/courses/eip-2030",
        "/courses/eip-2030/modules/m1",
        f"/verify/{certificate.code}",
        "/api/v1/courses/eip-2030",
        "/courses/eip-2030/calendar.ics",
        f"/calendar/{learner.calendar_token}.ics",
    ]


@pytest.fixture
def public(db, edition):
    course, _, learner = edition
    hold(learner, course.runs[0])
    certificate = CertificateFactory(user=learner, course=course)
    db.session.commit()
    return public_paths(course, learner, certificate)


def test_the_etag_changes_only_when_the_response_does(app, client, public):
    for path in public:
        first = guest_get(client, path)
        second = guest_get(client, path)
        assert first.status_code == 200, path
        assert etag_of(first) == etag_of(second), path
        assert first.data == second.data, path
        with app.app_context():
            cache.clear()  # rendered anew: the same data gives the same bytes and tag
        third = guest_get(client, path)
        assert etag_of(third) == etag_of(first), path
        assert without_stamps(third.data) == without_stamps(first.data), path


def test_a_304_has_no_body_and_makes_few_queries(app, client, public):
    # the version's lean queries (the feed's owner and theirs; an edition, its seats,
    # a module's texts, materials and quizzes): a fixed few, and no rendering
    budgets = [1, 2, 4, 1, 2, 1, 2]
    for path, budget in zip(public, budgets, strict=True):
        tag = etag_of(guest_get(client, path))
        with count_queries(app) as counter:
            response = guest_get(client, path, **{"If-None-Match": tag})
        assert response.status_code == 304, path
        assert response.data == b"", path
        assert etag_of(response) == tag and response.headers["Cache-Control"], path
        assert counter.count <= budget, (path, [s[:90] for s in counter.statements])
        assert guest_get(client, path, **{"If-None-Match": '"another"'}).status_code == 200


def test_a_304_costs_the_same_queries_however_large_the_edition(app, client, db):
    def queries(modules: int, runs: int) -> list[int]:
        course = course_with_modules(modules, runs)
        db.session.commit()
        counts = []
        for path in (f"/courses/{course.slug}", f"/courses/{course.slug}/modules/m1", "/"):
            tag = etag_of(guest_get(client, path))
            with count_queries(app) as counter:
                assert guest_get(client, path, **{"If-None-Match": tag}).status_code == 304
            counts.append(counter.count)
        return counts

    assert queries(2, 2) == queries(12, 4)


# -- signed-in readers and personal data ------------------------------------------------------


def cached_values(app) -> list[bytes]:
    """Everything in the app's cache, as bytes."""
    with app.app_context():
        backend = cache.cache
        if hasattr(backend, "_cache"):  # SimpleCache: {key: (expires, pickled value)}
            return [repr(entry).encode() for entry in backend._cache.values()]
        client = backend._write_client
        return [client.get(key) or b"" for key in client.keys(backend.key_prefix + "*")]


def assert_nothing_personal(app, *people) -> None:
    values = b"\n".join(cached_values(app))
    for person in people:
        for value in (person.email, person.full_name):
            for form in (value.encode(), value.encode("unicode_escape"), repr(value).encode()):
                assert form not in values, value
    assert b"csrf_token" not in values and b"/account/logout" not in values


@LIVE_SEATS
def test_signed_in_readers_never_get_a_guests_page_nor_leave_theirs(app, client, db, edition):
    course, organiser, learner = edition
    hold(learner, course.runs[0])
    db.session.commit()
    paths = ["/", "/courses/eip-2030", "/courses/eip-2030/modules/m1"]
    guest_pages = {path: guest_get(client, path) for path in paths}
    pages = {}
    for person in (learner, organiser):
        reader = app.test_client()
        reader.sign_in(person.email)
        for path in paths:
            response = reader.get(path, headers=EN)
            assert response.headers["Cache-Control"] == "private, no-store"
            assert "ETag" not in response.headers
            assert "/account/logout" in page_text(response) and response.data != guest_pages[path].data
            # a guest's tag gets the signed-in page, never a 304
            assert (
                reader.get(path, headers={**EN, "If-None-Match": etag_of(guest_pages[path])}).status_code
                == 200
            )
            pages[person.email, path] = response.data
    assert "You are registered" in page_text_of(pages[learner.email, "/courses/eip-2030"])
    assert "You are registered" not in page_text_of(pages[organiser.email, "/courses/eip-2030"])
    assert "Seats and registrants" in page_text_of(pages[organiser.email, "/courses/eip-2030"])
    for path in paths:  # the guests' copies are unchanged
        assert guest_get(client, path).data == guest_pages[path].data
    assert_nothing_personal(app, learner, organiser)


def page_text_of(data: bytes) -> str:
    return data.decode()


def test_a_guests_flashed_message_is_never_kept_for_others(app, client, edition):
    _, _, learner = edition
    reader = app.test_client()
    reader.sign_in(learner.email)
    reader.post("/account/logout", data={"csrf_token": reader.csrf_token()})
    flashed = reader.get("/", headers=EN)  # a guest now, with "You are signed out" waiting
    assert 'class="flash flash-info"' in page_text(flashed)
    assert flashed.headers["Cache-Control"] == "private, no-store"
    assert 'class="flash' not in page_text(guest_get(client, "/"))
    assert_nothing_personal(app, learner)


def test_personal_feeds_are_private_and_each_their_owners(app, client, db, edition):
    course, _, learner = edition
    other = UserFactory(full_name="Võ Người Khác", locale="en")
    hold(learner, course.runs[0])
    hold(other, course.runs[1])
    db.session.commit()
    mine = client.get(f"/calendar/{learner.calendar_token}.ics")
    theirs = client.get(f"/calendar/{other.calendar_token}.ics")
    assert mine.headers["Cache-Control"] == "private, no-cache"
    assert etag_of(mine) != etag_of(theirs) and mine.data != theirs.data
    assert (
        f"run-{course.runs[0].id}@".encode() in mine.data
        and f"run-{course.runs[0].id}@".encode() not in theirs.data
    )
    # another's tag is not a 304 on my address
    assert (
        client.get(
            f"/calendar/{learner.calendar_token}.ics", headers={"If-None-Match": etag_of(theirs)}
        ).status_code
        == 200
    )
    learner.locale = "vi"
    db.session.commit()
    assert etag_of(client.get(f"/calendar/{learner.calendar_token}.ics")) != etag_of(mine)
    api = client.get("/api/v1/courses/eip-2030")
    assert api.headers["Cache-Control"] == "public, max-age=300"
    assert client.get("/courses/eip-2030/calendar.ics").headers["Cache-Control"] == "public, max-age=300"


# -- compression and static files ------------------------------------------------------------


def test_text_is_gzipped_for_clients_that_accept_it(client, edition):
    plain = guest_get(client, "/courses/eip-2030")
    zipped = guest_get(client, "/courses/eip-2030", **{"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data) / 3
    assert "Accept-Encoding" in plain.headers["Vary"] and "Accept-Encoding" in zipped.headers["Vary"]
    assert etag_of(zipped) == etag_of(plain)[:-1] + '-gz"'  # another representation, another tag
    again = guest_get(
        client, "/courses/eip-2030", **{"Accept-Encoding": "gzip", "If-None-Match": etag_of(zipped)}
    )
    assert again.status_code == 304 and again.data == b"" and "Content-Encoding" not in again.headers
    assert etag_of(again) == etag_of(zipped)
    small = client.get("/health/live", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


def test_static_files_are_addressed_by_content_and_kept_a_year(app, client):
    with app.test_request_context():
        address = url_for("static", filename="css/app.css")
    assert re.fullmatch(r"/static/css/app\.css\?v=[0-9a-f]{12}", address)
    assert address in page_text(client.get("/privacy"))  # the pages use it
    versioned = client.get(address, headers={"Accept-Encoding": "gzip"})
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["Content-Encoding"] == "gzip"
    assert b".site-header" in gzip.decompress(versioned.data)
    for unversioned in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        with client.get(unversioned) as response:  # closes the file it streams
            assert "immutable" not in response.headers.get("Cache-Control", "")


# -- Redis: one setting shares the cache across workers ---------------------------------------


@pytest.fixture
def redis_app(database_url, redis_url, tmp_path):
    config = TestConfig(database_url, tmp_path / "instance")
    config.CACHE_URL = redis_url
    config.GUEST_SEATS_SECONDS = 0
    app = create_app(config)
    from tests.conftest import TestClient, empty_all_tables

    app.test_client_class = TestClient
    with app.app_context():
        cache.clear()
    yield app
    with app.app_context():
        cache.clear()
        _db.session.remove()
        empty_all_tables()
        _db.engine.dispose()


def test_with_redis_two_apps_share_the_guests_pages(redis_app, redis_url, database_url, tmp_path):

    with redis_app.app_context():
        course = course_with_modules(modules=2, runs_per_module=2, slug="eip-2030")
        learner = UserFactory(full_name="Lê Học Viên Redis", email="redis-learner@example.org")
        _db.session.commit()
        run_id, learner_id = course.runs[0].id, learner.id
    client = redis_app.test_client()
    first = guest_get(client, "/courses/eip-2030")
    assert redis.Redis.from_url(redis_url).keys("lms:page:*")  # the page is in Redis
    second_worker = create_app(_with_cache(TestConfig(database_url, tmp_path / "other"), redis_url))
    try:
        second_worker_serves(redis_app, second_worker, first, learner_id, run_id)
    finally:
        with second_worker.app_context():  # its own connections, closed here
            _db.session.remove()
            _db.engine.dispose()


def second_worker_serves(redis_app, second_worker, first, learner_id: int, run_id: int) -> None:
    """Another worker (another app on the same Redis) serves the page the first rendered,
    and sees a seat taken at once; a signed-in reader still gets a private page."""
    from lms.accounts.models import User
    from lms.catalogue.models import Run

    with count_queries(second_worker) as counter:
        again = guest_get(second_worker.test_client(), "/courses/eip-2030")
    assert again.data == first.data and etag_of(again) == etag_of(first)
    assert counter.count <= 2  # the version only: the page came from Redis, not rendered
    with redis_app.app_context():
        hold(_db.session.get(User, learner_id), _db.session.get(Run, run_id))
        _db.session.commit()
        learner = _db.session.get(User, learner_id)
        reader = redis_app.test_client()
        reader.sign_in(learner.email)
        assert reader.get("/courses/eip-2030").headers["Cache-Control"] == "private, no-store"
        assert "19 seats left" in page_text(guest_get(second_worker.test_client(), "/courses/eip-2030"))
        assert_nothing_personal(redis_app, learner)


def _with_cache(config: TestConfig, url: str) -> TestConfig:
    config.CACHE_URL = url
    config.GUEST_SEATS_SECONDS = 0
    return config
