"""`flask lms backup` and `flask lms restore`: a backup restored into a fresh database
and a fresh instance folder holds every row and every uploaded file; a file that is
not a backup is refused and changes nothing."""

from __future__ import annotations

import contextvars
import io
import json
import os
import tarfile

import pytest
from flask import has_app_context
from sqlalchemy import select

from lms import create_app, extensions
from lms.accounts.models import User
from lms.caching.generation import SCOPES
from lms.catalogue.models import Course
from lms.config import TestConfig
from lms.enrollment.models import Registration, RunChoice
from lms.materials.models import Material
from tests.conftest import TestClient
from tests.factories import UserFactory, course_with_modules, hold
from tests.materials import samples
from tests.materials.conftest import add_file
from tests.pg_server import create_database

PEOPLE = {
    "nguyen.thi.lan@example.org": "Nguyễn Thị Lan",
    "tran.quoc.tuan@example.org": "Trần Quốc Tuấn",
    "do.minh.chau@example.org": "Đỗ Minh Châu",
}
HANDOUT = samples.PDF + "Tài liệu khu công nghiệp sinh thái".encode() + b"\n%%EOF\n"


@pytest.fixture
def original(app, db):
    """A course with learners holding seats and a handout uploaded by its trainer."""
    course = course_with_modules(modules=2, runs_per_module=2, slug="eip-sao-luu")
    trainer = UserFactory(email="trainer@example.org", full_name="Phạm Văn Đồng", roles=["trainer"])
    for email, name in PEOPLE.items():
        learner = UserFactory(email=email, full_name=name)
        for module in course.modules:
            hold(learner, module.runs[0])
    material = add_file(course.modules[0], trainer, filename="Tài liệu.pdf", data=HANDOUT, title_en="Handout")
    db.session.commit()
    return material.id


@pytest.fixture
def fresh_app(request, database_url, tmp_path):
    """A second platform on a new, empty database and a new instance folder."""
    if database_url.startswith("sqlite"):
        (tmp_path / "restored").mkdir()
        url = f"sqlite:///{tmp_path / 'restored' / 'lms.sqlite3'}"
    else:
        url = create_database(database_url, "lms_restored")
    app = create_app(TestConfig(url, tmp_path / "restored-instance"))
    app.test_client_class = TestClient
    yield app
    with app.app_context():
        extensions.db.session.remove()
        extensions.db.engine.dispose()


def lms_command(app, *args: str, input: str | None = None):
    """Run ``flask lms ...`` as from a shell: in its own context, after the test's
    own changes are committed (so no transaction of the test holds a lock)."""
    if has_app_context() and extensions.db.session.registry.has():
        extensions.db.session.commit()
    runner = app.test_cli_runner()
    return contextvars.Context().run(runner.invoke, args=["lms", *args], input=input)


def test_a_backup_restored_into_a_fresh_database_holds_everything(app, original, fresh_app, tmp_path):
    archive = tmp_path / "backups" / "eip.tar.gz"
    made = lms_command(app, "backup", str(archive))
    assert made.exit_code == 0, made.output
    assert "1 material file(s)" in made.output
    assert archive.stat().st_mode & 0o077 == 0, "a backup is readable by its owner only"

    generations = fresh_app.extensions["lms.memo"].generations
    before = generations.current(SCOPES)
    restored = lms_command(fresh_app, "restore", str(archive), "--yes")
    assert restored.exit_code == 0, restored.output
    # replaced beneath the engine: every answer the response memo kept is distrusted
    assert all(old != new for old, new in zip(before, generations.current(SCOPES), strict=True))
    assert "restored the database and 1 material file(s)" in restored.output
    assert "db upgrade" not in restored.output  # the backup is at this version's schema

    with fresh_app.app_context():
        session = extensions.db.session
        names = dict(session.execute(select(User.email, User.full_name)).all())
        assert {email: names[email] for email in PEOPLE} == PEOPLE
        assert names["trainer@example.org"] == "Phạm Văn Đồng"
        course = session.scalar(select(Course).where(Course.slug == "eip-sao-luu"))
        assert course.title["vi"] == "Khóa học eip-sao-luu"
        registered = session.scalars(
            select(User.email)
            .join(Registration, Registration.user_id == User.id)
            .where(Registration.course_id == course.id)
        ).all()
        assert sorted(registered) == sorted(PEOPLE)
        assert session.query(RunChoice).count() == 2 * len(PEOPLE)
        assert [run.taken for module in course.modules for run in module.runs] == [3, 0, 3, 0]
        material = session.get(Material, original)
        assert material.title["en"] == "Handout"

    # The restored platform serves the uploaded file, byte for byte, under its name.
    response = fresh_app.test_client().get(f"/materials/{original}/download", buffered=True)
    assert response.status_code == 200
    assert response.data == HANDOUT
    assert "T%C3%A0i%20li%E1%BB%87u.pdf" in response.headers["Content-Disposition"]

    # Signing in works with the restored password hash.
    client = fresh_app.test_client()
    client.sign_in("nguyen.thi.lan@example.org")
    assert "Nguyễn Thị Lan" in client.get("/account/profile").get_data(as_text=True)


def test_restore_asks_before_replacing_anything(app, original, fresh_app, tmp_path):
    archive = tmp_path / "eip.tar.gz"
    assert lms_command(app, "backup", str(archive)).exit_code == 0
    declined = lms_command(fresh_app, "restore", str(archive), input="n\n")
    assert declined.exit_code == 1
    assert "Replace every row of" in declined.output
    with fresh_app.app_context():
        assert extensions.db.inspect(extensions.db.engine).get_table_names() == []


def archive_with(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def manifest(**fields) -> bytes:
    return json.dumps(
        {"format": "eip-lms-backup", "version": 1, "backend": "sqlite", "revision": None,
         "created_at": "2026-01-01T00:00:00+00:00", "database": "database.sqlite3", "files": 0, **fields}
    ).encode()  # fmt: skip


NOT_BACKUPS = {
    "random bytes": os.urandom(4096),
    "an empty file": b"",
    "a tar.gz without a manifest": archive_with({"database.sqlite3": b"SQLite format 3\x00"}),
    "another program's manifest": archive_with({"manifest.json": b'{"format": "other"}'}),
}


@pytest.mark.parametrize("kind", list(NOT_BACKUPS))
def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(app, original, tmp_path, kind):
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(NOT_BACKUPS[kind])
    result = lms_command(app, "restore", str(garbage), "--yes")
    assert result.exit_code == 1
    assert "is not a backup made by `flask lms backup`; nothing was changed" in result.output
    assert_original_data_intact(app, original)


def test_a_damaged_database_inside_a_backup_is_refused(app, database_url, original, tmp_path):
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    member = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[backend]
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(
        archive_with({"manifest.json": manifest(backend=backend, database=member), member: os.urandom(8192)})
    )
    result = lms_command(app, "restore", str(damaged), "--yes")
    assert result.exit_code == 1
    assert "nothing was changed" in result.output
    assert_original_data_intact(app, original)


def test_a_backup_of_the_other_backend_is_refused(app, database_url, original, tmp_path):
    other = "postgresql" if database_url.startswith("sqlite") else "sqlite"
    member = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[other]
    foreign = tmp_path / "foreign.tar.gz"
    foreign.write_bytes(
        archive_with({"manifest.json": manifest(backend=other, database=member), member: b"x"})
    )
    result = lms_command(app, "restore", str(foreign), "--yes")
    assert result.exit_code == 1
    assert f"this is a backup of a {other} database" in result.output
    assert_original_data_intact(app, original)


def assert_original_data_intact(app, material_id: int) -> None:
    with app.app_context():
        names = set(extensions.db.session.scalars(select(User.full_name)).all())
        assert set(PEOPLE.values()) <= names
    response = app.test_client().get(f"/materials/{material_id}/download", buffered=True)
    assert response.data == HANDOUT
