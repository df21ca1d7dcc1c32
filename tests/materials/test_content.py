"""Materials shipped with the course content: read, checked, loaded, reloaded."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from lms.catalogue.content import ContentError
from lms.course_folders import load_course_folder, read_course_folder
from lms.materials.models import Material, MaterialVersion
from tests.helpers import page_text
from tests.materials import samples
from tests.materials.conftest import stored_files

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "eip-2023"


@pytest.fixture
def folder(tmp_path) -> Path:
    copy = tmp_path / "eip-2023"
    shutil.copytree(SHIPPED, copy)
    return copy


def materials_file(folder: Path, module: str = "01-eip-concepts") -> Path:
    return folder / "modules" / module / "materials" / "materials.yaml"


def edit_materials(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def totals(db) -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(Material.id))),
        db.session.scalar(select(func.count(MaterialVersion.id))),
    )


def test_every_shipped_module_has_a_handout_in_each_language():
    spec = read_course_folder(SHIPPED)
    for module in spec.modules:
        materials = spec.materials[module.key]
        languages = [material.languages for material in materials]
        assert ("vi",) in languages and ("en",) in languages, module.key
        for material in materials:
            assert set(material.title) == {"vi", "en"}
            assert material.path.read_bytes().startswith(b"%PDF-")
            assert material.path.stat().st_size < 120 * 1024  # small enough to ship in the repository


def test_loading_twice_adds_the_files_once(app, db, folder):
    report = load_course_folder(folder)
    assert report.created
    assert totals(db) == (12, 12)
    assert len(stored_files(app)) == 12
    report = load_course_folder(folder)
    assert not report.changed, report.changes
    assert totals(db) == (12, 12)
    assert len(stored_files(app)) == 12


def test_a_changed_file_becomes_a_new_version_and_changed_texts_are_updated(app, db, folder):
    load_course_folder(folder)
    path = materials_file(folder)
    (path.parent / "handout.en.pdf").write_bytes(samples.PDF)
    edit_materials(path, lambda data: data[1]["title"].update(en="Module handout, revised"))
    report = load_course_folder(folder)
    assert "material eip-concepts/handout-en: new version" in report.changes
    assert "material eip-concepts/handout-en: title" in report.changes
    material = db.session.scalar(select(Material).where(Material.key == "handout-en").order_by(Material.id))
    assert material.title["en"] == "Module handout, revised"
    assert [v.number for v in material.versions] == [2, 1]
    assert material.current_version.size == len(samples.PDF)


def test_reloading_leaves_the_trainers_order_and_unpublishing_alone(db, folder):
    load_course_folder(folder)
    first, second = db.session.scalars(
        select(Material).join(Material.module).where(Material.key.in_(["handout-vi", "handout-en"])).limit(2)
    )
    first.position, second.position = second.position, first.position
    second.is_published = False
    db.session.commit()
    assert not load_course_folder(folder).changed
    db.session.refresh(second)
    assert not second.is_published


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda data: data[0].update(file="missing.pdf"), "is not a file"),
        (lambda data: data[0].update(file="../module.yaml"), "is not a file"),
        (lambda data: data[0].update(languages=[]), "languages"),
        (lambda data: data[0].update(visibility="friends"), "must be one of"),
        (lambda data: data[1].update(key="handout-vi"), "used twice"),
        (lambda data: data[0].update(url="https://example.org/x"), "either a file or a url"),
        (lambda data: data[0].pop("title"), "title"),
        (lambda data: data[0].update(download_name="Tài liệu.docx"), "file"),
    ],
)
def test_mistakes_are_reported_and_nothing_is_written(app, db, folder, change, message):
    edit_materials(materials_file(folder), change)
    with pytest.raises(ContentError, match=message) as failure:
        load_course_folder(folder)
    assert "materials.yaml" in str(failure.value)
    assert totals(db) == (0, 0)
    assert stored_files(app) == []


def test_a_file_whose_content_does_not_match_its_name_is_refused(app, db, folder):
    (materials_file(folder).parent / "handout.vi.pdf").write_bytes(samples.EXECUTABLE)
    with pytest.raises(ContentError, match="is not a PDF file"):
        load_course_folder(folder)
    assert stored_files(app) == []


def test_links_can_be_shipped_too(db, folder):
    edit_materials(
        materials_file(folder),
        lambda data: data.append(
            {"key": "recording", "url": "https://video.example.org/m1", "languages": ["vi"],
             "visibility": "registered", "title": {"vi": "Bản ghi", "en": "Recording"}}
        ),
    )  # fmt: skip
    load_course_folder(folder)
    link = db.session.scalar(select(Material).where(Material.key == "recording"))
    assert (link.kind, link.url, link.visibility) == ("link", "https://video.example.org/m1", "registered")


def test_the_demo_shows_real_downloads(app, client, db):
    result = app.test_cli_runner().invoke(args=["lms", "demo"])
    assert result.exit_code == 0, result.output
    text = page_text(client.get("/courses/eip-demo/modules/recp?lang=vi"))
    assert "Tài liệu phát tay của học phần" in text
    material_ids = sorted({int(n) for n in re.findall(r"/materials/(\d+)/download", text)})
    assert len(material_ids) == 2
    response = client.get(f"/materials/{material_ids[0]}/download", buffered=True)
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert "Tai lieu phat tay - Hoc phan 4.pdf" in response.headers["Content-Disposition"]
