"""Files are judged by name and by content: what we take, and what we refuse."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from lms.errors import ServiceError
from lms.materials import filetypes
from tests.materials import samples

ALL = list(filetypes.FILE_TYPES.values())
LIMIT = 5 * 1024 * 1024


def check(tmp_path: Path, filename: str, data: bytes, max_unpacked: int = LIMIT) -> filetypes.FileType:
    path = tmp_path / "upload.part"
    path.write_bytes(data)
    file_type = filetypes.type_for_name(filename, ALL)
    filetypes.check_content(path, file_type, max_unpacked)
    return file_type


@pytest.mark.parametrize(
    ("filename", "data", "mimetype"),
    [
        ("Bài giảng.pdf", samples.PDF, "application/pdf"),
        ("SƠ ĐỒ.PNG", samples.PNG, "image/png"),
        ("ảnh.jpg", samples.JPEG, "image/jpeg"),
        ("ảnh.jpeg", samples.JPEG, "image/jpeg"),
        ("notes.docx", samples.office("docx"), filetypes.FILE_TYPES["docx"].mimetype),
        ("figures.xlsx", samples.office("xlsx"), filetypes.FILE_TYPES["xlsx"].mimetype),
        ("slides.pptx", samples.office("pptx"), filetypes.FILE_TYPES["pptx"].mimetype),
    ],
)
def test_accepted_files(tmp_path, filename, data, mimetype):
    assert check(tmp_path, filename, data).mimetype == mimetype


def test_pdf_may_have_a_little_junk_before_its_header(tmp_path):
    assert check(tmp_path, "scan.pdf", b"\xef\xbb\xbf\r\n" + samples.PDF).name == "pdf"


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("setup.exe", samples.EXECUTABLE),
        ("page.html", samples.HTML),
        ("archive.zip", samples.plain_zip()),
        ("no-extension", samples.PDF),
        ("slides.ppt", samples.PDF),  # old binary formats are not on the list
    ],
)
def test_types_not_on_the_list_are_refused_by_name(tmp_path, filename, data):
    with pytest.raises(ServiceError, match="not accepted"):
        check(tmp_path, filename, data)


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("handout.pdf", samples.EXECUTABLE),  # a renamed executable
        ("handout.pdf", samples.HTML),
        ("photo.png", samples.JPEG),  # a real image, but not what the name says
        ("photo.jpg", samples.PNG),
        ("handout.pdf", samples.office("docx")),
        ("report.docx", samples.PDF),
        ("report.docx", samples.office("xlsx")),  # a spreadsheet named as a document
        ("slides.pptx", samples.office("docx")),
        ("report.docx", samples.plain_zip()),  # a zip, but no OOXML package
        ("report.docx", samples.office("docx", with_content_types=False)),
        ("report.docx", samples.corrupted_office()),
        ("report.docx", samples.office("docx")[:-30]),  # truncated
        ("empty.pdf", b""),
    ],
)
def test_content_that_does_not_match_the_name_is_refused(tmp_path, filename, data):
    with pytest.raises(ServiceError, match="content is not"):
        check(tmp_path, filename, data)


def test_zip_bomb_is_refused_by_its_declared_size(tmp_path):
    bomb = samples.zip_bomb(unpacked=20 * 1024 * 1024)
    assert len(bomb) < 100 * 1024  # tiny when packed
    with pytest.raises(ServiceError, match="unpacks to more than we accept"):
        check(tmp_path, "bomb.docx", bomb)


def test_zip_bomb_whose_headers_lie_is_refused_too(tmp_path):
    with pytest.raises(ServiceError):
        check(tmp_path, "bomb.docx", samples.lying_zip_bomb(unpacked=20 * 1024 * 1024))


def test_an_office_file_within_the_unpacked_limit_is_accepted(tmp_path):
    assert check(tmp_path, "big.docx", samples.zip_bomb(unpacked=1024 * 1024)).name == "docx"


def test_password_protected_office_files_are_refused(tmp_path):
    with pytest.raises(ServiceError, match="password"):
        check(tmp_path, "secret.docx", samples.encrypted_office())


def test_only_the_configured_types_are_offered():
    types = filetypes.allowed_types(["pdf", "png", "no-such-type"])
    assert [t.name for t in types] == ["pdf", "png"]
    with pytest.raises(ServiceError):
        filetypes.type_for_name("slides.pptx", types)


def office_with_entities() -> bytes:
    """A package whose content-type list declares entities (an XML bomb, in small)."""
    part, content_type = samples.MAIN_PARTS["docx"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            + samples.content_types(part, content_type)
            .split("?>", 1)[1]
            .replace("<Default", "&b;<Default", 1),
        )
        package.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        package.writestr(part, '<?xml version="1.0"?><document>Khu công nghiệp sinh thái</document>')
    return buffer.getvalue()


def test_an_office_file_declaring_xml_entities_is_refused(tmp_path):
    with pytest.raises(ServiceError, match="content is not"):
        check(tmp_path, "report.docx", office_with_entities())
