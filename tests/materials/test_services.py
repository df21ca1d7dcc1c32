"""The rules: adding and replacing files, versions, order, publishing, who sees what,
and that a failed upload leaves nothing behind."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.catalogue.services import can_manage_course
from lms.errors import ServiceError
from lms.materials import services, storage
from lms.materials.models import Material, MaterialVersion
from lms.materials.services import Access
from tests.materials import samples
from tests.materials.conftest import add_file, add_link, details, stored_files


def counts(db) -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(Material.id))),
        db.session.scalar(select(func.count(MaterialVersion.id))),
    )


def test_adding_a_file_stores_it_under_a_server_name_with_its_first_version(app, db, world):
    material = add_file(world, world.trainer, filename="Bài giảng Đà Nẵng.pdf", data=samples.PDF)
    db.session.commit()
    version = material.current_version
    assert (version.number, version.is_current, version.uploaded_by_id) == (1, True, world.trainer.id)
    assert version.filename == "Bài giảng Đà Nẵng.pdf"
    assert (version.content_type, version.size) == ("application/pdf", len(samples.PDF))
    [stored] = stored_files(app)
    assert stored.read_bytes() == samples.PDF
    assert "Bài" not in str(stored) and stored.suffix == ".pdf"
    assert version.storage_key.endswith(stored.name)
    assert material.position == 1 and material.is_published
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "material.added"))
    assert (event.actor_id, event.course_id) == (world.trainer.id, world.course.id)


def test_replacing_keeps_every_version_and_the_newest_is_current(app, db, world, client):
    material = add_file(world, world.trainer, filename="v1.pdf")
    db.session.commit()
    second = services.replace_file(material, world.organiser, "v2.pdf", io.BytesIO(samples.PDF + b"% v2\n"))
    db.session.commit()
    third = services.replace_file(
        material, world.trainer, "Bảng số liệu.xlsx", io.BytesIO(samples.office("xlsx"))
    )
    db.session.commit()
    db.session.expire_all()
    material = services.find_material_with_versions(material.id)
    assert [(v.number, v.filename, v.is_current) for v in material.versions] == [
        (3, "Bảng số liệu.xlsx", True),
        (2, "v2.pdf", False),
        (1, "v1.pdf", False),
    ]
    assert [v.uploaded_by.email for v in material.versions] == [
        "trainer@example.org",
        "organiser@example.org",
        "trainer@example.org",
    ]
    assert material.current_version.id == third.id != second.id
    assert len(stored_files(app)) == 3  # nothing is overwritten


def test_a_link_has_no_file_to_replace(db, world):
    link = add_link(world.module, world.trainer)
    with pytest.raises(ServiceError):
        services.replace_file(link, world.trainer, "x.pdf", io.BytesIO(samples.PDF))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title_en": "", "title_vi": ""}, "title"),
        ({"languages": ()}, "language"),
        ({"languages": ("fr",)}, "language"),
        ({"visibility": "friends"}, "who may see"),
    ],
)
def test_details_are_checked(db, world, fields, message):
    with pytest.raises(ServiceError, match=message):
        add_file(world, world.trainer, **fields)
    assert counts(db) == (0, 0)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/x", "example.org/video", ""])
def test_links_must_be_web_addresses(db, world, url):
    with pytest.raises(ServiceError, match="web address"):
        add_link(world.module, world.trainer, url=url)


def test_a_refused_file_leaves_no_row_and_no_file(app, db, world):
    with pytest.raises(ServiceError):
        add_file(world, world.trainer, filename="handout.pdf", data=samples.EXECUTABLE)
    db.session.rollback()
    assert counts(db) == (0, 0)
    assert stored_files(app) == []


@pytest.mark.config(MATERIALS_MAX_BYTES=1000)
def test_a_file_over_the_limit_is_refused_while_it_is_received(app, db, world):
    with pytest.raises(ServiceError, match="larger than 1,000 byte"):
        add_file(world, world.trainer, data=samples.PDF + b"%" * 2000)
    assert stored_files(app) == []


def test_an_upload_interrupted_mid_write_leaves_nothing_behind(app, db, world, monkeypatch):
    written = []

    def fail_on_second_chunk(target, chunk):
        if written:
            raise OSError(28, "No space left on device")
        written.append(len(chunk))
        target.write(chunk)

    monkeypatch.setattr(storage, "write_chunk", fail_on_second_chunk)
    big = samples.PDF + b"%" * (3 * storage.COPY_CHUNK)
    with pytest.raises(OSError, match="No space left"):
        add_file(world, world.trainer, data=big)
    db.session.rollback()
    assert written, "the failure happened after part of the file was written"
    assert stored_files(app) == []  # not even the temporary file
    assert counts(db) == (0, 0)


def test_a_failure_after_the_file_was_stored_removes_it_with_the_rollback(app, db, world, monkeypatch):
    def broken_audit(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "record", broken_audit)
    with pytest.raises(RuntimeError):
        add_file(world, world.trainer)
    assert len(stored_files(app)) == 1  # stored, but not committed yet
    db.session.rollback()
    assert stored_files(app) == []
    assert counts(db) == (0, 0)


def test_temporary_files_a_crash_left_behind_are_swept_by_the_next_upload(app, db, world):
    incoming = storage.get_storage().temporary_folder()
    incoming.mkdir(parents=True)
    stale, fresh = incoming / "upload-old.part", incoming / "upload-new.part"
    stale.write_bytes(b"half a file")
    fresh.write_bytes(b"an upload in progress")
    os.utime(stale, (0, 0))
    add_file(world, world.trainer)
    assert not stale.exists()
    assert fresh.exists()


def test_a_committed_file_stays_when_a_later_transaction_rolls_back(app, db, world):
    add_file(world, world.trainer)
    db.session.commit()
    add_file(world, world.trainer, title_en="Second")
    db.session.rollback()
    assert len(stored_files(app)) == 1
    assert counts(db) == (1, 1)


def test_move_changes_the_order_and_stops_at_the_ends(db, world):
    first, second, third = (add_file(world, world.trainer, title_en=name) for name in ("A", "B", "C"))
    db.session.commit()
    assert services.move(third, world.trainer, -1)
    assert not services.move(first, world.trainer, -1)
    assert services.move(first, world.trainer, +1)
    db.session.commit()
    assert [m.title["en"] for m in services.manage_listing(world.module)] == ["C", "A", "B"]
    assert not services.move(second, world.trainer, +1)


def test_unpublish_hides_without_deleting(db, world):
    material = add_file(world, world.trainer)
    db.session.commit()
    assert services.set_published(material, world.trainer, False)
    assert not services.set_published(material, world.trainer, False)
    db.session.commit()
    assert services.module_materials(world.module) == []
    assert services.manage_listing(world.module) == [material]
    assert material.current_version is not None


def test_who_manages_materials(db, world):
    assert can_manage_course(world.organiser, world.course.id)
    assert can_manage_course(world.trainer, world.course.id)
    assert not can_manage_course(world.trainer, world.other_course.id)
    assert not can_manage_course(world.other_trainer, world.course.id)
    assert not can_manage_course(world.registered, world.course.id)


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        ("everyone", {"guest": "allowed", "learner": "allowed", "registered": "allowed",
                      "other_trainer": "allowed", "trainer": "allowed", "organiser": "allowed"}),
        ("registered", {"guest": "sign_in", "learner": "not_registered", "registered": "allowed",
                        "other_trainer": "not_registered", "trainer": "allowed", "organiser": "allowed"}),
        ("after_start", {"guest": "sign_in", "learner": "not_registered", "registered": "not_yet",
                         "other_trainer": "not_registered", "trainer": "allowed", "organiser": "allowed"}),
    ],
)  # fmt: skip
def test_visibility_rules_for_each_kind_of_viewer(app, db, world, visibility, expected):
    from flask_login import AnonymousUserMixin

    material = add_file(world, world.trainer, visibility=visibility)
    db.session.commit()
    people = {
        "guest": AnonymousUserMixin(),
        "learner": world.learner,
        "registered": world.registered,
        "other_trainer": world.other_trainer,
        "trainer": world.trainer,
        "organiser": world.organiser,
    }
    now = datetime.now(UTC)
    seen = {
        name: services.access(material, services.viewer_for(person, world.course, world.module, now)).value
        for name, person in people.items()
    }
    assert seen == expected


def test_after_start_opens_when_the_first_run_that_is_not_cancelled_starts(db, world):
    material = add_file(world, world.trainer, visibility="after_start")
    first, second = sorted(world.module.runs, key=lambda run: run.starts_at)
    viewer = lambda now: services.viewer_for(world.registered, world.course, world.module, now)  # noqa: E731
    assert services.access(material, viewer(first.starts_at - timedelta(minutes=1))) == Access.NOT_YET
    assert services.access(material, viewer(first.starts_at)) == Access.ALLOWED
    first.status = "cancelled"
    assert services.access(material, viewer(first.starts_at + timedelta(hours=1))) == Access.NOT_YET
    assert services.access(material, viewer(second.starts_at)) == Access.ALLOWED


def test_a_cancelled_registration_no_longer_counts(db, world):
    from tests.factories import registration_for

    material = add_file(world, world.trainer, visibility="registered")
    registration_for(world.registered, world.course).status = "cancelled"
    db.session.flush()
    viewer = services.viewer_for(world.registered, world.course, world.module, datetime.now(UTC))
    assert services.access(material, viewer) == Access.NOT_REGISTERED


def test_counting_downloads_adds_up(db, world):
    material = add_file(world, world.trainer)
    db.session.commit()
    for _ in range(3):
        services.count_download(material, material.current_version)
    db.session.commit()
    db.session.expire_all()
    assert material.download_count == 3
    assert material.current_version.download_count == 3


def test_file_names_keep_vietnamese_and_lose_folders_and_control_characters():
    pdf = services.filetypes.FILE_TYPES["pdf"]
    assert services.clean_filename("Tài liệu Hải Phòng.pdf", pdf) == "Tài liệu Hải Phòng.pdf"
    assert services.clean_filename("C:\\Users\\lan\\Bài giảng.pdf", pdf) == "Bài giảng.pdf"
    assert services.clean_filename("../../etc/passwd.pdf", pdf) == "passwd.pdf"
    assert services.clean_filename("evil\u202efdp.exe.pdf", pdf) == "evilfdp.exe.pdf"
    assert services.clean_filename("  .pdf", pdf) == "material.pdf"
    # Decomposed input (as macOS sends it) is stored composed.
    assert services.clean_filename("Ta\u0300i lie\u0323\u0302u.pdf", pdf) == "Tài liệu.pdf"
    assert len(services.clean_filename("x" * 400 + ".pdf", pdf)) <= 190


def test_details_helper_builds_both_languages():
    assert details("Slides").title == {"vi": "Slides (vi)", "en": "Slides"}
