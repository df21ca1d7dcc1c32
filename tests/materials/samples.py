"""Small files of every accepted type, and the bad ones we must refuse, made in memory."""

from __future__ import annotations

import io
import struct
import zipfile

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
    + b"\x00" * 64
    + b"This program cannot be run in DOS mode."
)
HTML = b"<!doctype html><script>alert(1)</script>"

MAIN_PARTS = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
}  # fmt: skip


def content_types(part: str, content_type: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{content_type}"/>'
        "</Types>"
    )


def office(kind: str, extra: dict[str, bytes] | None = None, with_content_types: bool = True) -> bytes:
    """A minimal but valid OOXML package of ``kind`` (docx, xlsx or pptx)."""
    part, content_type = MAIN_PARTS[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        if with_content_types:
            package.writestr("[Content_Types].xml", content_types(part, content_type))
        package.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        package.writestr(part, '<?xml version="1.0"?><document>Khu công nghiệp sinh thái</document>')
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("notes.txt", "not an office file")
    return buffer.getvalue()


def zip_bomb(kind: str = "docx", unpacked: int = 20 * 1024 * 1024) -> bytes:
    """A valid office package that unpacks to ``unpacked`` bytes of zeros (tiny when packed)."""
    return office(kind, extra={"word/media/padding.bin": b"\x00" * unpacked})


def lying_zip_bomb(kind: str = "docx", unpacked: int = 20 * 1024 * 1024) -> bytes:
    """The same, but its headers claim the big entry unpacks to 1 kB: only reading it tells."""
    data = bytearray(zip_bomb(kind, unpacked))
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (index := data.find(signature, start)) >= 0:
            (size,) = struct.unpack_from("<I", data, index + size_offset)
            if size == unpacked:
                struct.pack_into("<I", data, index + size_offset, 1024)
            start = index + 4
    return bytes(data)


def encrypted_office(kind: str = "docx") -> bytes:
    """An office package whose entries claim to be encrypted (flag bit 0)."""
    data = bytearray(office(kind))
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (index := data.find(signature, start)) >= 0:
            (flags,) = struct.unpack_from("<H", data, index + flag_offset)
            struct.pack_into("<H", data, index + flag_offset, flags | 0x1)
            start = index + 4
    return bytes(data)


def corrupted_office(kind: str = "docx") -> bytes:
    """A package with one byte of its main part's compressed data changed (bad CRC)."""
    data = bytearray(office(kind, extra={"word/styles.xml": b"<styles>" + b"abc" * 2000 + b"</styles>"}))
    index = data.find(b"word/styles.xml") + len("word/styles.xml") + 10
    data[index] ^= 0xFF
    return bytes(data)
