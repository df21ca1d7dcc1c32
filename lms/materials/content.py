"""Materials shipped in a content folder: ``modules/NN-key/materials/materials.yaml``.

Each entry names a file next to it (or a link) with its key, titles, descriptions,
languages and visibility::

    - key: handout-vi
      file: handout.vi.pdf
      download_name: "Tài liệu học phần 1.pdf"   # optional, default: the file's name
      languages: [vi]
      visibility: everyone                       # everyone | registered | after_start
      title: {vi: "…", en: "…"}
      description: {vi: "…", en: "…"}            # optional, Markdown

Files are checked by name and content when the folder is read, before anything is
written. Loading matches materials by key: a new key adds a material at the end of
the module's list, a changed file becomes a new version, changed texts are updated,
and an unchanged folder changes nothing. The order trainers chose and whether they
unpublished a material are theirs, so reloading leaves both alone.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.catalogue.content import KEY, ContentError, Fields, LoadReport
from lms.errors import ServiceError
from lms.extensions import db
from lms.materials import filetypes, services
from lms.materials.models import Material, MaterialKind, Visibility

MATERIALS_FILE = Path("materials") / "materials.yaml"
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
MAX_UNPACKED = 300 * 1024 * 1024


@dataclass(frozen=True)
class MaterialSpec:
    key: str
    kind: str
    title: dict
    description: dict
    languages: tuple[str, ...]
    visibility: str
    source: Path
    url: str = ""
    path: Path | None = None
    download_name: str = ""
    sha256: str = ""

    def details(self) -> services.Details:
        return services.Details(
            title=self.title,
            description=self.description,
            languages=list(self.languages),
            visibility=self.visibility,
            url=self.url,
        )


def read_materials(module_folder: Path) -> tuple[MaterialSpec, ...]:
    """The module folder's materials, every file checked; () when it declares none."""
    path = module_folder / MATERIALS_FILE
    if not path.exists():
        return ()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ContentError(path, "yaml", f"is not valid YAML ({error})") from None
    if not isinstance(data, list):
        raise ContentError(path, "file", "must hold a list of materials")
    specs = tuple(_read_material(path, index, item) for index, item in enumerate(data))
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        if spec.key in seen:
            raise ContentError(path, f"[{index}].key", f"{spec.key!r} is used twice")
        seen.add(spec.key)
    return specs


def _read_material(path: Path, index: int, item) -> MaterialSpec:
    reader = Fields(path, item, prefix=f"[{index}].")
    key = reader.text("key")
    if not KEY.match(key):
        reader.fail("key", "use lower-case letters, digits and hyphens")
    languages = tuple(str(code) for code in reader.list("languages"))
    if not languages or not all(LANGUAGE.match(code) for code in languages):
        reader.fail("languages", "list language codes such as [vi], [en] or [vi, en]")
    visibility = reader.text("visibility", default=Visibility.EVERYONE.value)
    if visibility not in {v.value for v in Visibility}:
        reader.fail("visibility", f"must be one of {', '.join(v.value for v in Visibility)}")
    common = {
        "key": key,
        "title": reader.translated("title"),
        "description": reader.translated("description", required=False),
        "languages": languages,
        "visibility": visibility,
        "source": path,
    }
    has_file, has_url = "file" in item, "url" in item
    if has_file == has_url:
        reader.fail("file", "give either a file or a url")
    if has_url:
        url = reader.text("url")
        if not url.startswith(("https://", "http://")):
            reader.fail("url", "must start with https:// or http://")
        return MaterialSpec(kind=MaterialKind.LINK, url=url, **common)
    name = reader.text("file")
    file_path = path.parent / name
    if Path(name).name != name or not file_path.is_file():
        reader.fail("file", f"{name!r} is not a file next to {path.name}")
    download_name = reader.text("download_name", default=name)
    try:
        file_type = filetypes.type_for_name(name, list(filetypes.FILE_TYPES.values()))
        if filetypes.type_for_name(download_name, [file_type]) != file_type:
            raise ServiceError("download_name must have the file's extension")
        filetypes.check_content(file_path, file_type, MAX_UNPACKED)
    except ServiceError as error:
        with force_locale("en"):  # like every other message of the content loader
            reader.fail("file", str(error.message))
    return MaterialSpec(
        kind=MaterialKind.FILE,
        path=file_path,
        download_name=download_name,
        sha256=hashlib.sha256(file_path.read_bytes()).hexdigest(),
        **common,
    )


def apply_materials(module, specs: tuple[MaterialSpec, ...], report: LoadReport) -> None:
    """Create or update the module's shipped materials (flushes; the caller commits)."""
    if not specs:
        return
    if module.id is None:
        db.session.flush()
    existing = {
        material.key: material
        for material in db.session.scalars(
            select(Material)
            .where(Material.module_id == module.id, Material.key.is_not(None))
            .options(selectinload(Material.current_version))
        )
    }
    for spec in specs:
        try:
            _apply_material(module, existing.get(spec.key), spec, report)
        except ServiceError as error:
            with force_locale("en"):
                message = str(error.message)
            raise ContentError(spec.source, spec.key, message) from None


def _apply_material(module, material: Material | None, spec: MaterialSpec, report: LoadReport) -> None:
    label = f"material {module.key}/{spec.key}"
    every_type = list(filetypes.FILE_TYPES)
    if material is None:
        if spec.kind == MaterialKind.LINK:
            services.add_link(module, None, spec.details(), key=spec.key)
        else:
            with open(spec.path, "rb") as stream:
                services.add_file(
                    module, None, spec.details(), spec.download_name, stream, key=spec.key, allowed=every_type
                )
        report.changes.append(f"{label} created")
        return
    changed = services.edit(material, None, spec.details())
    report.changes.extend(f"{label}: {name}" for name in changed)
    current = material.current_version
    if spec.kind == MaterialKind.FILE and (current is None or current.sha256 != spec.sha256):
        with open(spec.path, "rb") as stream:
            services.replace_file(material, None, spec.download_name, stream, allowed=every_type)
        report.changes.append(f"{label}: new version")
