"""The public JSON schedule for partner sites."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lms.course_folders import load_course_folder
from tests.factories import ModuleFactory, RunFactory
from tests.helpers import count_queries

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "eip-2023"


def test_course_json_has_window_modules_and_runs_with_offsets(client, db):
    load_course_folder(SHIPPED)
    response = client.get("/api/v1/courses/eip-2023")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.json
    assert data["slug"] == "eip-2023"
    assert data["timezone"] == "Asia/Ho_Chi_Minh"
    assert data["title"]["vi"].startswith("Khóa đào tạo")
    assert data["registration"] == {
        "opens_at": "2023-07-03T08:00:00+07:00",
        "closes_at": "2023-08-19T23:59:59+07:00",
        "state": "closed",
    }
    assert len(data["modules"]) == 6
    first = data["modules"][0]
    assert first["position"] == 1 and first["duration_minutes"] == 120
    assert [run["key"] for run in first["runs"]] == ["a", "b"]
    run = first["runs"][0]
    assert run["starts_at"] == "2023-10-10T09:00:00+07:00"
    assert datetime.fromisoformat(run["ends_at"]) - datetime.fromisoformat(run["starts_at"]) == (
        datetime.fromisoformat("2023-10-10T11:00:00+07:00")
        - datetime.fromisoformat("2023-10-10T09:00:00+07:00")
    )
    assert run["capacity"] == 150 and run["seats_left"] == 150
    assert "join_url" not in run  # only confirmed learners get the join link


def test_seats_left_follow_taken_seats(client, db):
    module = ModuleFactory(key="m")
    RunFactory(module=module, key="a", capacity=10, taken=4)
    data = client.get(f"/api/v1/courses/{module.course.slug}").json
    assert data["modules"][0]["runs"][0]["seats_left"] == 6


def test_unknown_or_draft_course_is_404(client, db):
    module = ModuleFactory(key="m")
    module.course.status = "draft"
    assert client.get(f"/api/v1/courses/{module.course.slug}").status_code == 404
    assert client.get("/api/v1/courses/none").status_code == 404


def test_api_query_count_is_fixed(app, client, db):
    load_course_folder(SHIPPED)
    with count_queries(app) as counter:
        client.get("/api/v1/courses/eip-2023")
    # the version (edition, seats) for the ETag, then course, modules, runs, trainers
    # (with their roles): a fixed number, whatever the size
    assert counter.count <= 7, counter.statements
