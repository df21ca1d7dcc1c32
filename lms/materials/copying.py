"""The materials' part of copying an edition: first the rows (checked with the rest of
the copy), then a copy of each current file under a key of its own, deleted again if
the transaction does not commit. No download counts, no earlier versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.catalogue.models import Module
from lms.errors import ServiceError
from lms.extensions import db
from lms.materials.models import Material, MaterialVersion
from lms.materials.storage import TooLarge, delete_unless_committed, get_storage


@dataclass(frozen=True)
class FileToCopy:
    source: MaterialVersion
    material: Material


def copy_for_edition(modules: Mapping[int, Module], actor: User) -> list[FileToCopy]:
    """Copy the material rows of every module in ``modules`` ({old module id: its
    copy}); return the files still to copy once the rows are known to be valid."""
    files = []
    for module_id, materials in _materials_by_module(modules).items():
        for material in materials:
            new_material = _copy_material(material, modules[module_id], actor)
            if material.is_file and material.current_version is not None:
                files.append(FileToCopy(material.current_version, new_material))
    return files


def copy_files(files: list[FileToCopy], actor: User) -> int:
    for item in files:
        _copy_file(item.source, item.material, actor)
    return len(files)


def _materials_by_module(module_ids) -> dict[int, list[Material]]:
    materials = db.session.scalars(
        select(Material)
        .where(Material.module_id.in_(list(module_ids) or [0]))
        .options(selectinload(Material.current_version))
        .order_by(Material.position, Material.id)
    )
    grouped: dict[int, list[Material]] = {}
    for material in materials:
        grouped.setdefault(material.module_id, []).append(material)
    return grouped


def _copy_material(material: Material, module: Module, actor: User) -> Material:
    copy = Material(
        module_id=module.id,
        key=material.key,
        kind=material.kind,
        position=material.position,
        title=dict(material.title),
        description=dict(material.description),
        languages=list(material.languages),
        visibility=material.visibility,
        url=material.url,
        is_published=material.is_published,
        download_count=0,
        created_by_id=actor.id,
    )
    db.session.add(copy)
    return copy


def _copy_file(source: MaterialVersion, material: Material, actor: User) -> MaterialVersion:
    """A copy of the file under a new key (never a shared path), deleted again unless
    the transaction commits."""
    storage = get_storage()
    extension = source.storage_key.rsplit(".", 1)[-1]
    try:
        with storage.open(source.storage_key) as stream, storage.receive(stream, source.size) as incoming:
            if incoming.sha256 != source.sha256:
                raise _missing_file(source)
            key = storage.store(incoming, extension)
    except (OSError, ValueError, TooLarge):
        raise _missing_file(source) from None
    delete_unless_committed(db.session(), storage, key)
    version = MaterialVersion(
        material=material,
        number=1,
        is_current=True,
        storage_key=key,
        filename=source.filename,
        content_type=source.content_type,
        size=source.size,
        sha256=source.sha256,
        uploaded_by_id=actor.id,
    )
    db.session.add(version)
    return version


def _missing_file(source: MaterialVersion) -> ServiceError:
    return ServiceError(
        _l("The file %(name)s of this edition is missing or damaged in storage, so nothing was copied. Upload it again on its module's materials page, then copy the edition.",
           name=source.filename)
    )  # fmt: skip
