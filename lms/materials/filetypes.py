"""Which files a material may be, and how we tell: by the name AND by the content.

A file is accepted only when its extension names an allowed type and its bytes are
that type: a PDF starts with ``%PDF-``, a PNG or JPEG with its signature, and an
office file is a valid OOXML package (a zip with ``[Content_Types].xml`` naming the
right main part, no encrypted entries, a bounded number of entries and a bounded
unpacked size, every entry readable with a correct CRC). A renamed executable, a
.docx that is really a spreadsheet, or a zip bomb is refused before it is stored.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from flask_babel import lazy_gettext as _l

from lms.errors import ServiceError

CONTENT_TYPES_PART = "[Content_Types].xml"
CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
MAX_ZIP_ENTRIES = 10_000
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    name: str  # the key used in settings: pdf, pptx, ...
    extensions: tuple[str, ...]  # lower case, without the dot; the first is canonical
    mimetype: str
    label: object  # what readers see ("PDF", "PNG image")
    inline: bool  # shown in the browser rather than downloaded
    signature: bytes | None = None  # leading bytes, for non-zip formats
    signature_within: int = 0  # how far in the signature may start (PDF allows some junk)
    main_part_type: str | None = None  # OOXML: the content type of the main part

    @property
    def extension(self) -> str:
        return self.extensions[0]


FILE_TYPES: dict[str, FileType] = {
    file_type.name: file_type
    for file_type in (
        FileType(
            "pdf", ("pdf",), "application/pdf", "PDF", inline=True, signature=b"%PDF-", signature_within=1024
        ),
        FileType(
            "pptx",
            ("pptx",),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "PowerPoint",
            inline=False,
            main_part_type="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        ),
        FileType(
            "docx",
            ("docx",),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Word",
            inline=False,
            main_part_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        ),
        FileType(
            "xlsx",
            ("xlsx",),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Excel",
            inline=False,
            main_part_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        ),
        FileType("png", ("png",), "image/png", _l("PNG image"), inline=True, signature=b"\x89PNG\r\n\x1a\n"),
        FileType(
            "jpeg", ("jpg", "jpeg"), "image/jpeg", _l("JPEG image"), inline=True, signature=b"\xff\xd8\xff"
        ),
        # Session recordings (lms.recordings): an ISO media file has "ftyp" at byte 4.
        FileType(
            "mp4", ("mp4",), "video/mp4", _l("MP4 video"), inline=True, signature=b"ftyp", signature_within=4
        ),
    )
}


def by_mimetype(mimetype: str) -> FileType | None:
    return next((t for t in FILE_TYPES.values() if t.mimetype == mimetype), None)


def allowed_types(names) -> list[FileType]:
    """The known types among ``names`` (the setting), in the setting's order."""
    return [FILE_TYPES[name] for name in names if name in FILE_TYPES]


def describe(types: list[FileType]) -> str:
    """e.g. "PDF (.pdf), PowerPoint (.pptx), PNG image (.png)"."""
    return ", ".join(f"{t.label} (.{', .'.join(t.extensions)})" for t in types)


def type_for_name(filename: str, types: list[FileType]) -> FileType:
    """The allowed type the file's extension names, or a refusal listing what we take."""
    extension = Path(filename).suffix.lower().lstrip(".")
    for file_type in types:
        if extension in file_type.extensions:
            return file_type
    raise ServiceError(
        _l("Files of this type are not accepted. Please upload one of: %(types)s.", types=describe(types))
    )


def check_content(path: Path, file_type: FileType, max_unpacked: int) -> None:
    """Refuse the file unless its bytes are what its name says."""
    with open(path, "rb") as handle:
        head = handle.read(max(8, file_type.signature_within + len(file_type.signature or b"")))
    mismatch = ServiceError(
        _l(
            "This file's content is not a %(type)s file, although its name ends in .%(extension)s. Please check that you chose the right file, or save it again in that format.",
            type=file_type.label,
            extension=file_type.extension,
        )
    )
    if file_type.signature is not None:
        position = head.find(file_type.signature)
        if position < 0 or position > file_type.signature_within:
            raise mismatch
        return
    if not head.startswith(b"PK\x03\x04"):
        raise mismatch
    _check_office_package(path, file_type, max_unpacked, mismatch)


def _check_office_package(path: Path, file_type: FileType, max_unpacked: int, mismatch: ServiceError) -> None:
    too_big = ServiceError(
        _l(
            "This office file unpacks to more than we accept, so it was refused. Please save it again without embedded videos or very large pictures."
        )
    )
    try:
        with zipfile.ZipFile(path) as package:
            entries = package.infolist()
            if len(entries) > MAX_ZIP_ENTRIES or sum(entry.file_size for entry in entries) > max_unpacked:
                raise too_big
            if any(entry.flag_bits & 0x1 for entry in entries):
                raise ServiceError(
                    _l(
                        "This file is protected with a password. Please remove the password and upload it again."
                    )
                )
            main_part = _main_part(package, file_type)
            if main_part is None:
                raise mismatch
            # Read every entry: zipfile stops at each entry's declared size and checks
            # its CRC, so a damaged package or one whose headers lie is caught here.
            unpacked = 0
            for entry in entries:
                with package.open(entry) as member:
                    while chunk := member.read(READ_CHUNK):
                        unpacked += len(chunk)
                        if unpacked > max_unpacked:
                            raise too_big
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError, ValueError):
        raise mismatch from None


def _main_part(package: zipfile.ZipFile, file_type: FileType) -> str | None:
    """The part ``[Content_Types].xml`` declares as the main document, if it exists."""
    try:
        info = package.getinfo(CONTENT_TYPES_PART)
    except KeyError:
        return None
    if info.file_size > MAX_CONTENT_TYPES_BYTES:
        return None
    try:
        # defusedxml refuses DTDs and entities outright: an uploaded file decides what
        # this XML holds, and entity expansion ("billion laughs") would cost memory.
        root = SafeElementTree.fromstring(package.read(info), forbid_dtd=True)
    except (SafeElementTree.ParseError, DefusedXmlException):
        return None
    names = set(package.namelist())
    for override in root.iter(f"{CONTENT_TYPES_NS}Override"):
        if override.get("ContentType") == file_type.main_part_type:
            part = (override.get("PartName") or "").lstrip("/")
            return part if part in names else None
    return None
