"""Loading a course folder: the shipped course, idempotence, updates, and errors."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.catalogue.content import ContentError, read_catalogue
from lms.catalogue.models import Course, Module, Run
from lms.course_folders import load_course_folder, read_course_folder

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "eip-2023"


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of the shipped course to edit."""
    copy = tmp_path / "eip-2023"
    shutil.copytree(SHIPPED, copy)
    return copy


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def row_counts(db) -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Course, Module, Run, User)
    }


def test_shipped_course_has_six_modules_of_two_runs_in_both_languages():
    spec = read_catalogue(SHIPPED)
    assert spec.slug == "eip-2023"
    assert len(spec.modules) == 6
    assert [module.position for module in spec.modules] == [1, 2, 3, 4, 5, 6]
    for module in spec.modules:
        assert module.duration_minutes == 120
        assert len(module.runs) == 2
        assert set(module.title) == {"vi", "en"}
        assert set(module.outline) == {"vi", "en"}
        assert len(module.objectives["vi"]) == len(module.objectives["en"]) >= 3
        starts = [run.starts_at for run in module.runs]
        # The two runs are on different days and at different times of day.
        assert starts[0].date() != starts[1].date()
        assert starts[0].time() != starts[1].time()
    runs = [run for module in spec.modules for run in module.runs]
    assert min(run.starts_at for run in runs).astimezone(UTC) >= datetime(2023, 10, 1, tzinfo=UTC)
    assert max(run.ends_at for run in runs).astimezone(UTC) <= datetime(2023, 12, 31, tzinfo=UTC)
    assert sum(module.duration_minutes for module in spec.modules) == 12 * 60


def test_shipped_registration_closes_at_the_end_of_19_august_viet_nam_time():
    spec = read_catalogue(SHIPPED)
    # "2023-08-19 23:59:59" in course.yaml: that second counts to its end
    assert spec.registration_closes_at.astimezone(UTC) == datetime(2023, 8, 19, 16, 59, 59, 999999, UTC)
    assert spec.registration_closes_at < datetime(2023, 8, 20, tzinfo=spec.registration_closes_at.tzinfo)


def test_loading_stores_times_in_utc(db):
    load_course_folder(SHIPPED)
    first = db.session.scalar(select(Run).order_by(Run.starts_at))
    # 09:00 in Viet Nam on Tuesday 10 October 2023.
    assert first.starts_at == datetime(2023, 10, 10, 2, 0, tzinfo=UTC)
    assert first.ends_at == datetime(2023, 10, 10, 4, 0, tzinfo=UTC)
    assert len(first.trainers) >= 1


def test_loading_twice_changes_nothing(db):
    assert load_course_folder(SHIPPED).created
    course = db.session.scalar(select(Course))
    updated_at = course.updated_at
    counts = row_counts(db)
    report = load_course_folder(SHIPPED)
    assert not report.changed, report.changes
    db.session.expire_all()
    assert row_counts(db) == counts
    assert db.session.scalar(select(Course)).updated_at == updated_at


def test_reloading_an_edited_folder_updates_titles_and_times_but_keeps_seats(db, folder):
    load_course_folder(folder)
    run = db.session.scalar(select(Run).join(Module).where(Module.key == "recp", Run.key == "a"))
    run.taken = 7  # learners already hold seats
    db.session.commit()
    run_id = run.id

    edit_yaml(folder / "modules/04-recp/module.yaml", lambda data: (
        data["title"].update(en="RECP in practice"),
        data["runs"][0].update(starts="2023-11-21 13:30"),
    ))  # fmt: skip
    report = load_course_folder(folder)
    assert "module recp: title" in report.changes
    db.session.expire_all()
    run = db.session.get(Run, run_id)
    assert run.module.title["en"] == "RECP in practice"
    assert run.starts_at == datetime(2023, 11, 21, 6, 30, tzinfo=UTC)
    assert run.ends_at == datetime(2023, 11, 21, 8, 30, tzinfo=UTC)
    assert run.taken == 7
    assert run.sequence == 1  # calendars will see an update


def test_trainers_get_accounts_without_passwords(db):
    load_course_folder(SHIPPED)
    anna = db.session.scalar(select(User).where(User.email == "anna.keller@trainers.example.org"))
    assert anna.role_names == {"trainer"}
    assert anna.password_hash is None
    assert anna.timezone == "Europe/Zurich"


@pytest.mark.parametrize(
    ("file", "change", "field"),
    [
        ("course.yaml", lambda d: d.pop("slug"), "slug"),
        ("course.yaml", lambda d: d.update(timezone="Mars/Olympus"), "timezone"),
        ("course.yaml", lambda d: d["registration"].update(closes="19/08/2023"), "registration.closes"),
        ("course.yaml", lambda d: d["registration"].update(closes="2023-06-01 00:00"), "registration.closes"),
        ("course.yaml", lambda d: d["title"].update(vi=""), "title.vi"),
        ("course.yaml", lambda d: d["issuers"]["en"].pop(), "issuers"),
        ("modules/02-legal-framework/module.yaml", lambda d: d.update(position=1), "position"),
        ("modules/03-eip-tools/module.yaml", lambda d: d["runs"][1].update(capacity="many"), "runs[1].capacity"),
        ("modules/03-eip-tools/module.yaml", lambda d: d["runs"][0].update(trainers=["ghost@example.org"]), "runs[0].trainers"),
        ("modules/05-industrial-symbiosis/module.yaml", lambda d: d["runs"][1].update(key="a"), "runs.key"),
    ],
)  # fmt: skip
def test_an_invalid_folder_names_file_and_field_and_changes_nothing(db, folder, file, change, field):
    load_course_folder(SHIPPED)
    counts = row_counts(db)
    edit_yaml(folder / file, change)
    edit_yaml(folder / "course.yaml", lambda d: d["title"].update(en="Must not be saved"))
    with pytest.raises(ContentError) as raised:
        load_course_folder(folder)
    assert raised.value.field == field
    assert raised.value.path.name == Path(file).name
    db.session.expire_all()
    assert row_counts(db) == counts
    assert db.session.scalar(select(Course)).title["en"] != "Must not be saved"


def test_broken_yaml_is_reported_with_its_file(folder):
    (folder / "modules/01-eip-concepts/module.yaml").write_text("title: [unclosed", encoding="utf-8")
    with pytest.raises(ContentError, match=r"01-eip-concepts/module.yaml: yaml: is not valid YAML"):
        read_course_folder(folder)


def test_load_content_command(app, db, folder):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "load-content", str(folder)])
    assert result.exit_code == 0, result.output
    assert "course eip-2023: created" in result.output
    assert "course eip-2023: unchanged" in runner.invoke(args=["lms", "load-content", str(folder)]).output

    edit_yaml(folder / "course.yaml", lambda d: d.update(timezone="Nowhere/Land"))
    result = runner.invoke(args=["lms", "load-content", str(folder)])
    assert result.exit_code == 1
    assert "invalid content, nothing was changed" in result.output
    assert "course.yaml: timezone: unknown time zone 'Nowhere/Land'" in result.output
