"""Importing a participant report from the attendance sheet: upload, review, apply."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.attendance.models import Attendance, AttendanceChange, AttendanceImport, JoinClick
from lms.attendance.services import Mark, mark
from tests.factories import RunFactory, UserFactory, hold
from tests.helpers import count_queries, page_text

SAMPLES = Path(__file__).parent / "samples"
PEOPLE = [
    ("Nguyễn Văn An", "an.nguyen@hiepphuoc-ip.example.vn"),
    ("Nguyễn Văn An", "nguyenvanan.dn@example.com"),
    ("Nguyễn Thị Hương", "huong.nguyen@dinhvu-ip.example.vn"),
    ("Trần Thị Mai", "mai.tran@example.org"),
    ("Trần Quốc Bảo", "bao.tran@example.org"),
    ("Lê Văn Bình", "binh.le@example.org"),
    ("Lê Thị Thu Hà", "ha.le@example.org"),
    ("Phạm Đức Thắng", "thang.pham@example.org"),
    ("Nguyễn Hoàng Long", "long.nguyen@example.org"),
    ("Lê Minh Tuấn", "tuan.le@example.org"),
]


@pytest.fixture
def zoom_run(db):
    """The run of the Zoom sample: 10 October 2023, 09:00–11:00 in Viet Nam, taught by
    Nguyễn Thị Lan, with the ten learners the sample's names belong to (or not)."""
    run = RunFactory(starts_at=datetime(2023, 10, 10, 2, 0, tzinfo=UTC))
    run.trainers.append(UserFactory(full_name="Nguyễn Thị Lan", email="lan.nguyen@trainers.example.org", roles=["trainer"]))  # fmt: skip
    learners = {}
    for name, email in PEOPLE:
        learner = UserFactory(full_name=name, email=email)
        hold(learner, run)
        learners[email] = learner
    db.session.commit()
    return run, learners


def upload(client, run, sample="zoom_participants.csv", zone="Asia/Ho_Chi_Minh", data=None):
    data = data if data is not None else (SAMPLES / sample).read_bytes()
    return client.submit(
        f"/teach/runs/{run.id}/attendance/import?lang=en",
        {"report": (io.BytesIO(data), sample), "zone": zone},
        content_type="multipart/form-data",
    )


def review_form(response) -> dict:
    """The review's hidden fields and current choices, as the browser would send them."""
    html = response.get_data(as_text=True)
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    form.pop("csrf_token", None)
    return form


def question_index(form: dict, key: str) -> int:
    return next(
        int(name.split("-")[1]) for name, value in form.items() if name.startswith("key-") and value == key
    )


def statuses(db) -> dict[str, tuple[str, int | None, str]]:
    rows = db.session.execute(select(Attendance)).scalars()
    return {row.user.email: (row.status, row.minutes, row.source) for row in rows}


def decide_all(form: dict, choices: dict[str, str]) -> dict:
    answers = dict(form)
    for key, choice in choices.items():
        answers[f"decision-{question_index(form, key)}"] = choice
    return answers


AN_GUEST, TRAN_MINH = "name:nguyen van an", "name:tran minh"
OTHERS = ["email:ann.nguyen.personal@gmail.example", "name:nguyen thi huong (ban ql kcn)"]


def test_a_zoom_report_is_reviewed_then_applied(client, db, zoom_run):
    run, learners = zoom_run
    client.sign_in("lan.nguyen@trainers.example.org")
    review = upload(client, run)
    text = page_text(review)
    assert "Check the imported attendance" in text
    assert "Left out as trainers of this session: Nguyễn Thị Lan." in text
    assert "Several learners have this name." in text  # the guest "Nguyễn Văn An"
    assert "No learner of this session has this name or email." in text  # "Trần Minh"
    form = review_form(review)
    assert {value for name, value in form.items() if name.startswith("key-")} == {
        AN_GUEST,
        TRAN_MINH,
        *OTHERS,
    }

    # saving before every name is decided saves nothing
    text = page_text(client.submit(review.request.path + "?lang=en", {**form, "action": "apply"}))
    assert "Please decide for every name in the list" in text
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0

    # the trainer knows "Trần Minh" is Lê Minh Tuấn's account name on his phone
    tuan = learners["tuan.le@example.org"]
    answers = decide_all(
        form, {AN_GUEST: "ignore", TRAN_MINH: str(tuan.id)} | dict.fromkeys(OTHERS, "ignore")
    )
    response = client.submit(review.request.path + "?lang=en", {**answers, "action": "apply"})
    assert response.request.path == f"/teach/runs/{run.id}/attendance"
    assert "The report is imported: 10 marks changed." in page_text(response)
    assert statuses(db) == {
        "an.nguyen@hiepphuoc-ip.example.vn": ("present", 120, "zoom"),  # three joins, clipped and merged
        "nguyenvanan.dn@example.com": ("present", 90, "zoom"),  # exactly 75 %
        "huong.nguyen@dinhvu-ip.example.vn": ("present", 91, "zoom"),  # two guest joins by name
        "mai.tran@example.org": ("late", 89, "zoom"),
        "bao.tran@example.org": ("late", 30, "zoom"),
        "binh.le@example.org": ("absent", 29, "zoom"),
        "ha.le@example.org": ("absent", 0, "zoom"),  # left before the start
        "thang.pham@example.org": ("present", 116, "zoom"),  # time in the waiting room does not count
        "long.nguyen@example.org": ("absent", 15, "zoom"),
        "tuan.le@example.org": ("present", 107, "zoom"),  # assigned in the review
    }
    imported = db.session.scalar(select(AttendanceImport))
    assert imported.platform == "zoom" and imported.changed == 10
    assert imported.decisions[TRAN_MINH] == tuan.id and imported.decisions[AN_GUEST] is None


def test_importing_the_same_report_again_changes_nothing(client, db, zoom_run):
    run, _ = zoom_run
    client.sign_in("lan.nguyen@trainers.example.org")
    review = upload(client, run)
    answers = decide_all(review_form(review), dict.fromkeys([AN_GUEST, TRAN_MINH, *OTHERS], "ignore"))
    client.submit(review.request.path, {**answers, "action": "apply"})
    changes = db.session.scalar(select(func.count()).select_from(AttendanceChange))

    again = upload(client, run)
    text = page_text(again)
    assert "Decided earlier." in text
    assert "will be set" not in text
    response = client.submit(again.request.path + "?lang=en", {**review_form(again), "action": "apply"})
    assert "The report is imported: 0 marks changed." in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(AttendanceChange)) == changes


def test_marks_entered_by_hand_are_kept_unless_ticked(client, db, zoom_run):
    run, learners = zoom_run
    binh, mai = learners["binh.le@example.org"], learners["mai.tran@example.org"]
    trainer = run.trainers[0]
    mark(run, binh.id, Mark("excused", None, "Ốm, có giấy"), trainer)
    mark(run, mai.id, Mark("present", None, ""), trainer)
    db.session.commit()
    client.sign_in("lan.nguyen@trainers.example.org")
    review = upload(client, run)
    assert page_text(review).count("replace the mark entered by hand") == 2
    answers = decide_all(review_form(review), dict.fromkeys([AN_GUEST, TRAN_MINH, *OTHERS], "ignore"))
    client.submit(review.request.path, {**answers, "action": "apply", "replace": str(mai.id)})
    found = statuses(db)
    assert found["binh.le@example.org"] == ("excused", None, "manual")
    assert found["mai.tran@example.org"] == ("late", 89, "zoom")
    assert db.session.scalar(select(Attendance.note).where(Attendance.user_id == binh.id)) == "Ốm, có giấy"


def test_a_second_device_is_merged_only_when_the_trainer_says_so(client, db, zoom_run):
    run, learners = zoom_run
    huong = learners["huong.nguyen@dinhvu-ip.example.vn"]
    report = (
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
        "Nguyễn Thị Hương,huong.nguyen@dinhvu-ip.example.vn,10/10/2023 09:00:00 AM,10/10/2023 10:00:00 AM,60,No\n"
        "NGUYEN THI HUONG,,10/10/2023 09:50:00 AM,10/10/2023 10:40:00 AM,50,Yes\n"
    ).encode()
    client.sign_in("lan.nguyen@trainers.example.org")
    review = upload(client, run, data=report)
    assert "This learner also joined with their email address" in page_text(review)
    form = review_form(review)
    client.submit(
        review.request.path, {**decide_all(form, {"name:nguyen thi huong": str(huong.id)}), "action": "apply"}
    )
    assert statuses(db)["huong.nguyen@dinhvu-ip.example.vn"] == ("present", 100, "zoom")


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ("malformed_zoom_bad_time.csv", "is not a date and time"),
        ("malformed_zoom_missing_column.csv", "The participant table has no"),
        ("malformed_unknown.csv", "This is not a Zoom, Microsoft Teams or Google Meet participant report."),
        ("malformed_teams_leave_before_join.csv", "is before the join time"),
    ],
)
def test_a_malformed_report_names_the_line_and_keeps_nothing(client, db, zoom_run, sample, message):
    run, _ = zoom_run
    client.sign_in("lan.nguyen@trainers.example.org")
    text = page_text(upload(client, run, sample))
    assert re.search(r"Line \d+ of the report: ", text) and message in text
    assert not (
        Path(client.application.instance_path) / "attendance-imports" / f"run-{run.id}"
    ).exists() or not any(
        (Path(client.application.instance_path) / "attendance-imports" / f"run-{run.id}").iterdir()
    )


def test_errors_are_in_the_readers_language(client, db, zoom_run):
    run, _ = zoom_run
    client.sign_in("lan.nguyen@trainers.example.org")
    response = client.submit(
        f"/teach/runs/{run.id}/attendance/import?lang=vi",
        {"report": (io.BytesIO(b"PK\x03\x04rest"), "report.xlsx"), "zone": "Asia/Ho_Chi_Minh"},
        content_type="multipart/form-data",
    )
    text = page_text(response)
    assert "Dòng 1 của báo cáo" in text and "Excel" in text


def test_only_the_courses_trainers_and_organisers_may_import(client, db, zoom_run):
    run, _ = zoom_run
    UserFactory(email="other.trainer@example.org", roles=["trainer"])
    db.session.commit()
    client.sign_in("lan.nguyen@trainers.example.org")
    digest_path = upload(client, run).request.path
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    for email in ("other.trainer@example.org", "an.nguyen@hiepphuoc-ip.example.vn"):
        client.sign_in(email)
        assert client.get(f"/teach/runs/{run.id}/attendance/import").status_code == 403
        assert client.get(digest_path).status_code == 403
        assert upload(client, run).status_code == 403
        client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in("lan.nguyen@trainers.example.org")
    assert client.get(f"/teach/runs/{run.id}/attendance/import/{'0' * 64}").status_code == 404
    assert client.get(f"/teach/runs/{run.id}/attendance/import/..%2F..%2Fsecret_key").status_code == 404


def test_the_review_makes_the_same_queries_for_few_and_many_learners(client, db, app):
    def review_queries(extra: int) -> int:
        run = RunFactory(starts_at=datetime(2023, 10, 10, 2, 0, tzinfo=UTC), capacity=50)
        trainer = UserFactory(roles=["trainer"])
        run.trainers.append(trainer)
        for name, email in PEOPLE[:3]:
            hold(UserFactory(full_name=name, email=f"{extra}.{email}"), run)
        for _ in range(extra):
            hold(UserFactory(), run)
        db.session.commit()
        client.sign_in(trainer.email)
        path = upload(client, run).request.path
        with count_queries(app) as queries:
            client.get(path)
        client.post("/account/logout", data={"csrf_token": client.csrf_token()})
        return queries.count

    assert review_queries(2) == review_queries(30)


def test_names_left_open_can_be_ignored_in_one_go(client, db, zoom_run):
    run, learners = zoom_run
    tuan = learners["tuan.le@example.org"]
    client.sign_in("lan.nguyen@trainers.example.org")
    review = upload(client, run)
    answers = decide_all(review_form(review), {TRAN_MINH: str(tuan.id)})
    response = client.submit(
        review.request.path + "?lang=en", {**answers, "action": "apply", "ignore_open": "1"}
    )
    assert "The report is imported: 10 marks changed." in page_text(response)
    decisions = db.session.scalar(select(AttendanceImport)).decisions
    assert decisions == {TRAN_MINH: tuan.id, AN_GUEST: None} | dict.fromkeys(OTHERS, None)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "0" * 300, "../../etc/passwd"])
def test_a_review_address_with_an_impossible_zone_is_refused(client, db, zoom_run, zone):
    """The zone travels in the review's address: an edited one is refused, not a crash
    (found by tests/core/test_fuzz.py: a name too long for a file name raised OSError)."""
    run, _ = zoom_run
    client.sign_in("lan.nguyen@trainers.example.org")
    review = upload(client, run)
    response = client.get(f"{review.request.path}?lang=en&zone={zone}", follow_redirects=True)
    assert response.request.path == f"/teach/runs/{run.id}/attendance/import"
    assert "Unknown time zone." in page_text(response)


# -- hints on the import's review -------------------------------------------------------------


def test_the_review_hints_at_seat_holders_who_clicked_join_near_an_unplaced_name(client, db, zoom_run):
    run, learners = zoom_run
    tuan, binh, long = (learners[f"{n}@example.org"] for n in ("tuan.le", "binh.le", "long.nguyen"))
    # "Trần Minh" (no email, fits nobody) first joined at 09:03 in Viet Nam (02:03 UTC).
    db.session.add(
        JoinClick(run_id=run.id, user_id=tuan.id, clicked_at=datetime(2023, 10, 10, 2, 5, tzinfo=UTC))
    )
    db.session.add(
        JoinClick(run_id=run.id, user_id=binh.id, clicked_at=datetime(2023, 10, 10, 2, 20, tzinfo=UTC))
    )
    db.session.commit()
    client.sign_in("lan.nguyen@trainers.example.org")
    review = upload(client, run)
    html = review.get_data(as_text=True)
    row = next(part for part in html.split("<tr>") if "Trần Minh" in part)
    [hint] = re.findall(r'<p class="help join-hint">(.*?)</p>', row, re.S)
    assert "a hint, not a match" in hint and "Lê Minh Tuấn" in hint and "Lê Văn Bình" not in hint
    assert '<option value="" selected>' in row  # nothing chosen for the trainer

    with count_queries(client.application) as few:
        client.get(review.request.url)
    for minute in range(0, 10):
        db.session.add(JoinClick(run_id=run.id, user_id=long.id,
                                 clicked_at=datetime(2023, 10, 10, 2, minute, tzinfo=UTC)))  # fmt: skip
    db.session.commit()
    with count_queries(client.application) as many:
        text = page_text(client.get(review.request.url))
    assert "Nguyễn Hoàng Long" in text
    assert many.count == few.count
