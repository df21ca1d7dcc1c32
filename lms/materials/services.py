"""Materials: who may manage and open them, uploads and versions, order, downloads.

One function per intention (add a file, add a link, edit, replace the file, publish or
unpublish, move, count a download); each flushes and leaves the commit to its caller.
A file is received into a temporary file, checked by name and content, and moved into
storage only when it passed; if the transaction then does not commit, the stored file
is deleted again (see ``storage.delete_unless_committed``).
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import BinaryIO
from urllib.parse import urlsplit

from babel.units import format_unit
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.audit.actions import Detail, Shown, declare_action
from lms.audit.models import record
from lms.catalogue.models import Course, CourseStatus, Module
from lms.catalogue.services import can_manage_course
from lms.db import utcnow
from lms.enrollment.services import is_registered
from lms.errors import ServiceError
from lms.extensions import db
from lms.i18n import current_locale, supported_locales
from lms.materials import filetypes
from lms.materials.models import Material, MaterialKind, MaterialVersion, Visibility
from lms.materials.storage import TooLarge, delete_unless_committed, get_storage

# The audit log's actions recorded here (lms.audit.actions).
MATERIAL_ADDED = declare_action(
    "material.added",
    _l("Added a material"),
    kind=Detail(_l("Type of material")),
    filename=Detail(_l("File")),
    size=Detail(_l("Size (bytes)"), Shown.NUMBER),
    url=Detail(_l("Link")),
)
MATERIAL_EDITED = declare_action(
    "material.edited",
    _l("Edited a material"),
    fields=Detail(_l("Changed"), Shown.LIST),
)
VERSION_ADDED = declare_action(
    "material.version_added",
    _l("Uploaded a new version of a material"),
    number=Detail(_l("Version"), Shown.NUMBER),
    filename=Detail(_l("File")),
    size=Detail(_l("Size (bytes)"), Shown.NUMBER),
)
MATERIAL_PUBLISHED = declare_action(
    "material.published",
    _l("Published a material"),
)
MATERIAL_UNPUBLISHED = declare_action(
    "material.unpublished",
    _l("Unpublished a material"),
)
MATERIAL_MOVED = declare_action(
    "material.moved",
    _l("Moved a material"),
    position=Detail(_l("Position"), Shown.NUMBER),
)


MAX_FILENAME_CHARS = 180


# -- who may do what ------------------------------------------------------------------


def first_run_started(module: Module, now: datetime) -> bool:
    """Has the module's first (not cancelled) run started?"""
    runs = [run for run in module.runs if not run.is_cancelled] or list(module.runs)
    return bool(runs) and min(run.starts_at for run in runs) <= now


class Access(enum.Enum):
    ALLOWED = "allowed"
    SIGN_IN = "sign_in"  # a guest: the login page, then back here
    NOT_REGISTERED = "not_registered"  # signed in, but not registered for the course
    NOT_YET = "not_yet"  # registered, but the module's first run has not started
    HIDDEN = "hidden"  # unpublished, or the course is not published: as if it did not exist


@dataclass(frozen=True)
class Viewer:
    """What the material rules need to know about the person looking."""

    signed_in: bool
    staff: bool
    registered: bool
    module_started: bool
    course_published: bool = True


def viewer_for(user, course: Course, module: Module, now: datetime, materials=None) -> Viewer:
    """Ask the database only what the rules need (nothing more for guests and staff)."""
    signed_in = bool(user is not None and user.is_authenticated)
    staff = signed_in and can_manage_course(user, course.id)
    needs_registration = signed_in and not staff
    if materials is not None:
        needs_registration = needs_registration and any(
            material.visibility != Visibility.EVERYONE for material in materials
        )
    return Viewer(
        signed_in=signed_in,
        staff=staff,
        registered=needs_registration and is_registered(user, course.id),
        module_started=first_run_started(module, now),
        course_published=course.status == CourseStatus.PUBLISHED,
    )


def access(material: Material, viewer: Viewer) -> Access:
    if viewer.staff:
        return Access.ALLOWED
    if not material.is_published or not viewer.course_published:
        return Access.HIDDEN
    if material.visibility == Visibility.EVERYONE:
        return Access.ALLOWED
    if not viewer.signed_in:
        return Access.SIGN_IN
    if not viewer.registered:
        return Access.NOT_REGISTERED
    if material.visibility == Visibility.AFTER_START and not viewer.module_started:
        return Access.NOT_YET
    return Access.ALLOWED


# -- reading ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _module_materials_statement():
    # Built once per process: every module page asks.
    return (
        select(Material)
        .where(Material.module_id == bindparam("module_id"), Material.is_published)
        .options(joinedload(Material.current_version))
        .order_by(Material.position, Material.id)
    )


def module_materials(module: Module) -> list[Material]:
    """A module's published materials in the trainers' order, with their current file
    (one query however many there are: a material has one current file at most)."""
    return list(db.session.scalars(_module_materials_statement(), {"module_id": module.id}))


@dataclass
class Listing:
    """What the module page shows: the materials the viewer may open, and what is withheld."""

    materials: list[Material] = field(default_factory=list)
    for_registered: int = 0  # more materials that registered learners get
    after_start: int = 0  # more that open once the module's first run starts
    can_manage: bool = False


def listing_for(user, course: Course, module: Module, now: datetime) -> Listing:
    """The viewer's materials, those in their language first (then the trainers' order)."""
    materials = module_materials(module)
    viewer = viewer_for(user, course, module, now, materials)
    listing = Listing(can_manage=viewer.staff)
    for material in materials:
        decision = access(material, viewer)
        if decision == Access.ALLOWED:
            listing.materials.append(material)
        elif decision == Access.NOT_YET:
            listing.after_start += 1
        elif decision in (Access.SIGN_IN, Access.NOT_REGISTERED):
            listing.for_registered += 1
    locale = current_locale()
    listing.materials.sort(key=lambda m: (locale not in m.languages, m.position, m.id))
    return listing


def find_material(material_id: int) -> Material | None:
    """A material with its module, course, runs and current file, in one round of queries."""
    return db.session.scalar(
        select(Material)
        .where(Material.id == material_id)
        .options(
            joinedload(Material.module).joinedload(Module.course),
            joinedload(Material.module).selectinload(Module.runs),
            selectinload(Material.current_version),
        )
    )


def find_material_with_versions(material_id: int) -> Material | None:
    return db.session.scalar(
        select(Material)
        .where(Material.id == material_id)
        .options(
            joinedload(Material.module).joinedload(Module.course),
            selectinload(Material.versions).joinedload(MaterialVersion.uploaded_by),
            selectinload(Material.current_version),
        )
    )


def find_version(material: Material, number: int) -> MaterialVersion | None:
    return db.session.scalar(
        select(MaterialVersion).where(
            MaterialVersion.material_id == material.id, MaterialVersion.number == number
        )
    )


def manage_listing(module: Module) -> list[Material]:
    """Every material of the module, unpublished ones too, with who uploaded the current file."""
    return list(
        db.session.scalars(
            select(Material)
            .where(Material.module_id == module.id)
            .options(selectinload(Material.current_version).joinedload(MaterialVersion.uploaded_by))
            .order_by(Material.position, Material.id)
        )
    )


# -- what a material says about itself ----------------------------------------------


def format_size(size: int) -> str:
    """e.g. "340 kB", "2,3 MB" in the reader's locale. Binary multiples, as Windows shows
    file sizes, so that a 50 MB limit and a file Explorer calls 50 MB agree."""
    locale = current_locale()
    for unit, factor in (
        ("digital-gigabyte", 1024**3),
        ("digital-megabyte", 1024**2),
        ("digital-kilobyte", 1024),
    ):
        if size >= factor:
            value = size / factor
            precise = value < 100 and unit != "digital-kilobyte"
            return format_unit(
                round(value, 1) if precise else round(value), unit, length="short", locale=locale
            )
    return format_unit(size, "digital-byte", length="short", locale=locale)


def type_label(material: Material):
    if material.is_link:
        return _l("Link")
    version = material.current_version
    file_type = filetypes.by_mimetype(version.content_type) if version else None
    return file_type.label if file_type else _l("File")


# -- checks on what people type ---------------------------------------------------


@dataclass(frozen=True)
class Details:
    """What a trainer types about a material."""

    title: dict
    description: dict
    languages: list[str]
    visibility: str
    url: str = ""


def _clean_details(details: Details, kind: str) -> Details:
    title = {locale: (text or "").strip() for locale, text in details.title.items()}
    description = {locale: (text or "").strip() for locale, text in details.description.items()}
    if not any(title.values()):
        raise ServiceError(_l("Please give the material a title in at least one language."))
    known = supported_locales()
    languages = [code for code in known if code in set(details.languages)]
    if not languages or len(languages) != len(set(details.languages)):
        raise ServiceError(_l("Please choose the language or languages the material is in."))
    if details.visibility not in set(Visibility):
        raise ServiceError(_l("Please choose who may see the material."))
    url = clean_link(details.url) if kind == MaterialKind.LINK else ""
    return Details(title, description, languages, details.visibility, url)


def clean_link(url: str | None) -> str:
    """A link material's (or a recording's) web address, or a refusal."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 1000:
        raise ServiceError(_l("Please enter a full web address starting with https://."))
    return url


def clean_filename(name: str, file_type: filetypes.FileType) -> str:
    """The uploader's file name without folders or control characters, Vietnamese kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split())
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, file_type.extension
    stem = stem.strip(" .")[:MAX_FILENAME_CHARS] or "material"
    return f"{stem}.{extension}"


# -- files ------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    key: str
    filename: str
    content_type: str
    size: int
    sha256: str


def max_bytes() -> int:
    return current_app.config["MATERIALS_MAX_BYTES"]


def too_large_message():
    return _l(
        "The file is larger than %(limit)s, the most we accept for a material. Please make it smaller (for example, compress its pictures or split it in two) and try again.",
        limit=format_size(max_bytes()),
    )


def store_file(filename: str, stream: BinaryIO, allowed: list[str] | None = None) -> StoredFile:
    """Receive, check and store one file; refuse it with a reason the uploader can act on.

    The stored file is deleted again unless the current transaction commits.
    """
    config = current_app.config
    types = filetypes.allowed_types(allowed if allowed is not None else config["MATERIALS_ALLOWED_TYPES"])
    if not (filename or "").strip():
        raise ServiceError(_l("Please choose a file to upload."))
    file_type = filetypes.type_for_name(filename, types)
    storage = get_storage()
    try:
        with storage.receive(stream, max_bytes()) as incoming:
            if incoming.size == 0:
                raise ServiceError(_l("The file is empty. Please choose the file again."))
            filetypes.check_content(incoming.path, file_type, config["MATERIALS_MAX_UNPACKED_BYTES"])
            key = storage.store(incoming, file_type.extension)
    except TooLarge:
        raise ServiceError(too_large_message()) from None
    delete_unless_committed(db.session(), storage, key)
    return StoredFile(
        key=key,
        filename=clean_filename(filename, file_type),
        content_type=file_type.mimetype,
        size=incoming.size,
        sha256=incoming.sha256,
    )


def _new_version(material: Material, stored: StoredFile, actor: User | None, number: int) -> MaterialVersion:
    version = MaterialVersion(
        material=material,
        number=number,
        is_current=True,
        storage_key=stored.key,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    return version


def _next_position(module: Module) -> int:
    last = db.session.scalar(select(func.max(Material.position)).where(Material.module_id == module.id))
    return (last or 0) + 1


# -- what trainers do ---------------------------------------------------------------


def add_file(
    module: Module,
    actor: User | None,
    details: Details,
    filename: str,
    stream: BinaryIO,
    key: str | None = None,
    allowed: list[str] | None = None,
) -> Material:
    """A new material holding one file (its version 1)."""
    details = _clean_details(details, MaterialKind.FILE)
    stored = store_file(filename, stream, allowed)
    material = _new_material(module, actor, details, MaterialKind.FILE, key)
    _new_version(material, stored, actor, number=1)
    db.session.flush()
    record(MATERIAL_ADDED, material, actor=actor, course_id=module.course_id,
           kind="file", filename=stored.filename, size=stored.size)  # fmt: skip
    return material


def add_link(module: Module, actor: User | None, details: Details, key: str | None = None) -> Material:
    """A new material that is a link, e.g. a session recording."""
    details = _clean_details(details, MaterialKind.LINK)
    material = _new_material(module, actor, details, MaterialKind.LINK, key)
    db.session.flush()
    record(MATERIAL_ADDED, material, actor=actor, course_id=module.course_id, kind="link", url=details.url)
    return material


def _new_material(module, actor, details: Details, kind: str, key: str | None) -> Material:
    material = Material(
        module_id=module.id,
        key=key,
        kind=kind,
        position=_next_position(module),
        title=details.title,
        description=details.description,
        languages=details.languages,
        visibility=details.visibility,
        url=details.url,
        is_published=True,
        download_count=0,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(material)
    return material


def edit(material: Material, actor: User | None, details: Details) -> list[str]:
    """Change the texts, languages, visibility (and a link's address); returns what changed."""
    details = _clean_details(details, material.kind)
    wanted = {
        "title": {k: v for k, v in details.title.items() if v},
        "description": {k: v for k, v in details.description.items() if v},
        "languages": details.languages,
        "visibility": details.visibility,
        "url": details.url,
    }
    changed = [name for name, value in wanted.items() if getattr(material, name) != value]
    for name in changed:
        setattr(material, name, wanted[name])
    if changed:
        db.session.flush()
        record(MATERIAL_EDITED, material, actor=actor, course_id=material.module.course_id, fields=changed)
    return changed


def replace_file(
    material: Material, actor: User | None, filename: str, stream: BinaryIO, allowed: list[str] | None = None
) -> MaterialVersion:
    """Upload a new version: it becomes current, earlier versions are kept."""
    if not material.is_file:
        raise ServiceError(_l("A link has no file to replace; edit its address instead."))
    stored = store_file(filename, stream, allowed)
    return _add_version(material, actor, stored)


def _add_version(material: Material, actor: User | None, stored: StoredFile) -> MaterialVersion:
    # Lock the material (PostgreSQL; SQLite's write transactions are already serial) so
    # that two replacements at once get numbers one after the other.
    db.session.execute(select(Material.id).where(Material.id == material.id).with_for_update())
    db.session.execute(
        update(MaterialVersion)
        .where(MaterialVersion.material_id == material.id, MaterialVersion.is_current)
        .values(is_current=False)
    )
    last = db.session.scalar(
        select(func.max(MaterialVersion.number)).where(MaterialVersion.material_id == material.id)
    )
    version = _new_version(material, stored, actor, number=(last or 0) + 1)
    material.updated_at = utcnow()
    db.session.flush()
    db.session.expire(material, ["current_version", "versions"])
    record(VERSION_ADDED, material, actor=actor, course_id=material.module.course_id,
           number=version.number, filename=stored.filename, size=stored.size)  # fmt: skip
    return version


def set_published(material: Material, actor: User | None, published: bool) -> bool:
    """Publish or unpublish; False when it already was so."""
    if material.is_published == published:
        return False
    material.is_published = published
    db.session.flush()
    action = MATERIAL_PUBLISHED if published else MATERIAL_UNPUBLISHED
    record(action, material, actor=actor, course_id=material.module.course_id)
    return True


def move(material: Material, actor: User | None, offset: int) -> bool:
    """Move a material up (-1) or down (+1) in its module; False at either end."""
    siblings = list(
        db.session.scalars(
            select(Material)
            .where(Material.module_id == material.module_id)
            .order_by(Material.position, Material.id)
            .with_for_update()
        )
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.id == material.id)
    target = index + offset
    if offset == 0 or not 0 <= target < len(siblings):
        return False
    siblings.insert(target, siblings.pop(index))
    for position, sibling in enumerate(siblings, start=1):
        if sibling.position != position:
            sibling.position = position
    db.session.flush()
    record(MATERIAL_MOVED, material, actor=actor, course_id=material.module.course_id, position=target + 1)
    return True


# -- downloads ------------------------------------------------------------------------


def count_download(material: Material, version: MaterialVersion | None) -> None:
    """Count one download (or link opening) with UPDATEs, so that none is lost."""
    db.session.execute(
        update(Material)
        .where(Material.id == material.id)
        .values(download_count=Material.download_count + 1)
        .execution_options(synchronize_session=False)
    )
    if version is not None:
        db.session.execute(
            update(MaterialVersion)
            .where(MaterialVersion.id == version.id)
            .values(download_count=MaterialVersion.download_count + 1)
            .execution_options(synchronize_session=False)
        )
