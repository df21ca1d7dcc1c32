"""Materials as people meet them: the trainer's pages, the module page and downloads."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from lms.materials import services
from lms.materials.models import Material, MaterialVersion
from tests.factories import PASSWORD
from tests.helpers import count_queries, page_text
from tests.materials import samples
from tests.materials.conftest import add_file, add_link, stored_files, upload_form

# -- trainers upload, replace, reorder and unpublish -----------------------------------


def test_trainer_uploads_a_pdf_and_learners_see_it(client, db, world):
    client.sign_in(world.trainer.email)
    response = client.submit(
        world.manage_path + "/new/file",
        upload_form("Bài giảng học phần 1.pdf", samples.PDF, description_en="Read **before** the session."),
    )
    text = page_text(response)
    assert response.status_code == 200
    assert "The material was added." in text
    assert "Bài giảng học phần 1.pdf" in text
    version = db.session.scalar(select(MaterialVersion))
    assert (version.filename, version.uploaded_by_id) == ("Bài giảng học phần 1.pdf", world.trainer.id)

    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    module_page = page_text(client.get(world.module_path + "?lang=en"))
    assert "Slides" in module_page
    assert "<strong>before</strong>" in module_page
    assert f"/materials/{version.material_id}/download" in module_page


def test_the_upload_form_names_the_accepted_types_and_the_limit(client, db, world):
    client.sign_in(world.organiser.email)
    text = page_text(client.get(world.manage_path + "/new/file?lang=en"))
    assert "PDF (.pdf)" in text and "JPEG image (.jpg, .jpeg)" in text
    assert "up to 50 MB" in text
    assert 'accept=".pdf,.pptx,.docx,.xlsx,.png,.jpg,.jpeg"' in text


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("tool.exe", samples.EXECUTABLE, "Files of this type are not accepted"),
        ("handout.pdf", samples.EXECUTABLE, "is not a PDF file"),  # a renamed executable
        ("figures.xlsx", samples.office("docx"), "is not a Excel file"),
        ("bomb.docx", samples.zip_bomb(unpacked=8 * 1024 * 1024), "unpacks to more than we accept"),
    ],
)
@pytest.mark.config(MATERIALS_MAX_UNPACKED_BYTES=4 * 1024 * 1024)
def test_refused_uploads_say_why_and_leave_nothing(app, client, db, world, filename, data, message):
    client.sign_in(world.trainer.email)
    response = client.submit(world.manage_path + "/new/file", upload_form(filename, data))
    assert response.status_code == 200
    assert message in page_text(response)
    assert db.session.scalar(select(func.count(Material.id))) == 0
    assert stored_files(app) == []


def test_a_missing_title_or_language_keeps_the_form(client, db, world):
    client.sign_in(world.trainer.email)
    response = client.submit(
        world.manage_path + "/new/file",
        upload_form("a.pdf", samples.PDF, title_vi="", title_en="", languages=[]),
    )
    text = page_text(response)
    assert "Please choose the language or languages the material is in." in text
    assert db.session.scalar(select(func.count(Material.id))) == 0


@pytest.mark.config(MATERIALS_MAX_BYTES=2000, MAX_CONTENT_LENGTH=20_000)
def test_oversize_uploads_get_a_clear_page_in_the_readers_language(app, client, db, world):
    client.sign_in(world.trainer.email)
    # Over the materials limit but within what the server reads: the form says so.
    response = client.submit(
        world.manage_path + "/new/file?lang=en", upload_form("big.pdf", samples.PDF + b"%" * 5000)
    )
    assert "The file is larger than 2 kB" in page_text(response)
    # Over what the server reads at all: the 413 page, in the reader's language.
    response = client.submit(
        world.manage_path + "/new/file", upload_form("huge.pdf", samples.PDF + b"%" * 50_000)
    )
    assert response.status_code == 413
    text = page_text(response)
    assert "File too large" in text and "2 kB" in text
    client.get("/?lang=vi")
    response = client.submit(
        world.manage_path + "/new/file", upload_form("huge.pdf", samples.PDF + b"%" * 50_000)
    )
    assert response.status_code == 413
    assert "Tệp quá lớn" in page_text(response)  # msgid "File too large"
    assert stored_files(app) == []
    assert db.session.scalar(select(func.count(Material.id))) == 0


def test_replacing_the_file_keeps_the_history_with_who_and_when(client, db, world):
    material = add_file(world, world.trainer, filename="v1.pdf")
    db.session.commit()
    client.sign_in(world.organiser.email)
    response = client.submit(
        f"/manage/materials/{material.id}/versions",
        {"file": (io.BytesIO(samples.PDF + b"% v2"), "Tài liệu v2.pdf")},
    )
    text = page_text(response)
    assert "Version 2 is uploaded; learners now get it." in text
    rows = re.findall(r"<tr[^>]*>\s*<td>(\d)", text)
    assert rows == ["2", "1"]  # newest first
    assert "Tài liệu v2.pdf" in text and "v1.pdf" in text
    assert world.organiser.full_name in text and world.trainer.full_name in text
    # Learners get the newest; trainers can still open an earlier version.
    assert client.get(f"/materials/{material.id}/download", buffered=True).data.endswith(b"% v2")
    assert client.get(f"/manage/materials/{material.id}/versions/1", buffered=True).data == samples.PDF


def test_replacing_with_a_bad_file_keeps_the_current_version(client, db, world):
    material = add_file(world, world.trainer)
    db.session.commit()
    client.sign_in(world.trainer.email)
    response = client.submit(
        f"/manage/materials/{material.id}/versions",
        {"file": (io.BytesIO(samples.HTML), "new.pdf")},
    )
    assert response.status_code == 200
    assert "is not a PDF file" in page_text(response)
    assert db.session.scalar(select(func.count(MaterialVersion.id))) == 1


def test_editing_texts_visibility_and_languages(client, db, world):
    material = add_file(world, world.trainer)
    db.session.commit()
    client.sign_in(world.trainer.email)
    form = client.get(f"/manage/materials/{material.id}")
    assert 'value="Slides"' in page_text(form)
    response = client.submit(
        f"/manage/materials/{material.id}",
        {"title_vi": "Bài giảng", "title_en": "Lecture slides", "description_vi": "", "description_en": "",
         "languages": ["vi", "en"], "visibility": "registered"},
    )  # fmt: skip
    assert "Your changes are saved." in page_text(response)
    db.session.expire_all()
    assert material.title == {"vi": "Bài giảng", "en": "Lecture slides"}
    assert (material.languages, material.visibility) == (["vi", "en"], "registered")


def test_reorder_and_unpublish_from_the_materials_page(client, db, world):
    first = add_file(world, world.trainer, title_en="First")
    second = add_file(world, world.trainer, title_en="Second")
    db.session.commit()
    client.sign_in(world.trainer.email)
    client.submit(f"/manage/materials/{second.id}/move/up", {})
    text = page_text(client.get(world.manage_path))
    assert text.index("Second") < text.index("First")
    response = client.submit(f"/manage/materials/{first.id}/unpublish", {})
    assert "learners no longer see it" in page_text(response)
    assert "Unpublished" in page_text(response)
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    assert "First" not in page_text(client.get(world.module_path + "?lang=en"))
    assert client.get(f"/materials/{first.id}/download", buffered=True).status_code == 404
    client.sign_in(world.trainer.email)
    client.submit(f"/manage/materials/{first.id}/publish", {})
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    assert client.get(f"/materials/{first.id}/download", buffered=True).status_code == 200


def test_download_counts_are_shown_to_trainers(client, db, world):
    material = add_file(world, world.trainer)
    db.session.commit()
    for _ in range(2):
        assert client.get(f"/materials/{material.id}/download", buffered=True).status_code == 200
    # A revalidation and a later byte range are not new downloads.
    etag = client.get(f"/materials/{material.id}/download", buffered=True).headers["ETag"]
    assert (
        client.get(
            f"/materials/{material.id}/download", buffered=True, headers={"If-None-Match": etag}
        ).status_code
        == 304
    )
    assert (
        client.get(
            f"/materials/{material.id}/download", buffered=True, headers={"Range": "bytes=10-20"}
        ).status_code
        == 206
    )
    assert client.head(f"/materials/{material.id}/download", buffered=True).status_code == 200
    client.sign_in(world.trainer.email)
    assert "3 downloads" in page_text(client.get(world.manage_path))
    # The trainer checking the file is not a learner's download.
    assert client.get(f"/materials/{material.id}/download", buffered=True).status_code == 200
    assert client.get(f"/manage/materials/{material.id}/versions/1", buffered=True).status_code == 200
    assert "3 downloads" in page_text(client.get(world.manage_path))


@pytest.mark.parametrize(
    "who", [None, "learner@example.org", "registered@example.org", "other.trainer@example.org"]
)
def test_only_trainers_of_the_course_and_organisers_manage(client, db, world, who):
    material = add_file(world, world.trainer)
    db.session.commit()
    if who:
        client.sign_in(who)
    paths = [world.manage_path, world.manage_path + "/new/file", f"/manage/materials/{material.id}"]
    for path in paths:
        response = client.get(path)
        if who is None:
            assert response.status_code == 302 and "/account/login" in response.headers["Location"]
        else:
            assert response.status_code == 403, path
    response = client.post(
        f"/manage/materials/{material.id}/unpublish", data={"csrf_token": client.csrf_token()}
    )
    assert response.status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(Material, material.id).is_published


# -- who sees and downloads what --------------------------------------------------------


@pytest.fixture
def three_materials(db, world):
    """One material per visibility, all in English."""
    made = {
        visibility: add_file(world, world.trainer, title_en=f"For {visibility}", visibility=visibility)
        for visibility in ("everyone", "registered", "after_start")
    }
    db.session.commit()
    return made


VISIBLE = {
    None: {"everyone"},
    "learner@example.org": {"everyone"},
    "other.trainer@example.org": {"everyone"},
    "registered@example.org": {"everyone", "registered"},  # the module has not started
    "trainer@example.org": {"everyone", "registered", "after_start"},
    "organiser@example.org": {"everyone", "registered", "after_start"},
}


@pytest.mark.parametrize("who", list(VISIBLE))
def test_module_page_lists_what_each_viewer_may_open(client, db, world, three_materials, who):
    if who:
        client.sign_in(who)
    text = page_text(client.get(world.module_path + "?lang=en"))
    titles = " ".join(re.findall(r'<h3 class="material-title"[^>]*>(.*?)</h3>', text, re.S))
    listed = {visibility for visibility in three_materials if f"For {visibility}<" in titles}
    assert listed == VISIBLE[who]
    if who in (None, "learner@example.org", "other.trainer@example.org"):
        assert "2 more materials are for learners registered for this course." in text
    if who == "registered@example.org":
        assert "1 more material opens when the module's first session starts." in text


@pytest.mark.parametrize("who", list(VISIBLE))
def test_downloads_follow_the_same_rules(client, db, world, three_materials, who):
    if who:
        client.sign_in(who)
    for visibility, material in three_materials.items():
        response = client.get(f"/materials/{material.id}/download", buffered=True)
        if visibility in VISIBLE[who]:
            assert response.status_code == 200, visibility
            assert response.data == samples.PDF
        elif who is None:
            assert response.status_code == 302
            assert "/account/login?next=" in response.headers["Location"]
        else:
            assert response.status_code == 403, visibility


def test_refusals_explain_themselves(client, db, world, three_materials):
    client.sign_in(world.learner.email)
    text = page_text(client.get(f"/materials/{three_materials['registered'].id}/download?lang=en"))
    assert "This material is for learners registered for the course." in text
    client.post("/account/logout", data={"csrf_token": client.csrf_token()})
    client.sign_in(world.registered.email)
    text = page_text(client.get(f"/materials/{three_materials['after_start'].id}/download?lang=en"))
    assert "This material opens when the module&#39;s first session starts." in text


def test_materials_of_a_draft_course_stay_hidden(client, db, world):
    material = add_file(world, world.trainer)
    world.course.status = "draft"
    db.session.commit()
    assert client.get(f"/materials/{material.id}/download", buffered=True).status_code == 404
    client.sign_in(world.trainer.email)
    assert client.get(f"/materials/{material.id}/download", buffered=True).status_code == 200
    assert client.get(world.manage_path).status_code == 200


def test_readers_language_comes_first_and_the_other_is_marked(client, db, world):
    add_file(
        world, world.trainer, title_en="English slides", title_vi="Bài giảng tiếng Anh", languages=("en",)
    )
    add_file(
        world, world.trainer, title_en="Vietnamese notes", title_vi="Ghi chú tiếng Việt", languages=("vi",)
    )
    add_file(
        world,
        world.trainer,
        title_en="Bilingual glossary",
        title_vi="Thuật ngữ song ngữ",
        languages=("vi", "en"),
    )
    db.session.commit()
    text = page_text(client.get(world.module_path + "?lang=en"))
    order = [text.index(title) for title in ("English slides", "Bilingual glossary", "Vietnamese notes")]
    assert order == sorted(order)
    assert "Vietnamese only" in text
    assert "Vietnamese and English" in text
    assert text.count("material-only") == 1
    text = page_text(client.get(world.module_path + "?lang=vi"))
    order = [
        text.index(title) for title in ("Ghi chú tiếng Việt", "Thuật ngữ song ngữ", "Bài giảng tiếng Anh")
    ]
    assert order == sorted(order)
    assert text.count("material-only") == 1
    assert "Chỉ có bản Tiếng Anh" in text  # msgid "%(language)s only"


def test_links_open_through_a_counted_redirect(client, db, world):
    link = add_link(
        world.module, world.trainer, url="https://video.example.org/m1-recording", visibility="registered"
    )
    db.session.commit()
    assert client.get(f"/materials/{link.id}/link", buffered=True).status_code == 302  # to the login page
    client.sign_in(world.registered.email)
    text = page_text(client.get(world.module_path + "?lang=en"))
    assert f"/materials/{link.id}/link" in text
    assert "video.example.org" not in text  # the address is only given to those allowed
    response = client.get(f"/materials/{link.id}/link", buffered=True)
    assert response.headers["Location"] == "https://video.example.org/m1-recording"
    db.session.expire_all()
    assert db.session.get(Material, link.id).download_count == 1


def test_trainer_adds_a_link_through_the_form(client, db, world):
    client.sign_in(world.trainer.email)
    response = client.submit(
        world.manage_path + "/new/link",
        {"title_vi": "Bản ghi buổi học", "title_en": "Session recording", "description_vi": "", "description_en": "",
         "languages": ["vi"], "visibility": "after_start", "url": "https://video.example.org/rec"},
    )  # fmt: skip
    assert "The material was added." in page_text(response)
    material = db.session.scalar(select(Material))
    assert (material.kind, material.url, material.visibility) == (
        "link",
        "https://video.example.org/rec",
        "after_start",
    )


def test_descriptions_are_sanitised(client, db, world):
    add_file(
        world,
        world.trainer,
        description={"en": "<script>alert(1)</script> [x](javascript:alert(1)) **ok**"},
    )
    db.session.commit()
    text = page_text(client.get(world.module_path + "?lang=en"))
    assert "<script>alert" not in text
    assert 'href="javascript' not in text
    assert "<strong>ok</strong>" in text


# -- what a download looks like on the wire -----------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "mimetype", "disposition"),
    [
        ("Tài liệu Đà Nẵng.pdf", samples.PDF, "application/pdf", "inline"),
        ("Sơ đồ.png", samples.PNG, "image/png", "inline"),
        ("ảnh.jpg", samples.JPEG, "image/jpeg", "inline"),
        ("Bảng số liệu.xlsx", samples.office("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment"),
        ("Bài giảng.pptx", samples.office("pptx"), "application/vnd.openxmlformats-officedocument.presentationml.presentation", "attachment"),
        ("Ghi chú.docx", samples.office("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "attachment"),
        ("plain-name.pdf", samples.PDF, "application/pdf", "inline"),
    ],
)  # fmt: skip
def test_downloads_carry_type_disposition_and_the_original_name(
    client, db, world, filename, data, mimetype, disposition
):
    material = add_file(world, world.trainer, filename=filename, data=data)
    db.session.commit()
    response = client.get(f"/materials/{material.id}/download", buffered=True)
    assert response.status_code == 200
    assert response.data == data
    assert response.mimetype == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Length"] == str(len(data))
    assert "private" in response.headers["Cache-Control"]
    header = response.headers["Content-Disposition"]
    assert header.startswith(disposition + ";")
    ascii_name = re.search(r'filename="?([^";]+)"?', header).group(1)
    assert ascii_name.isascii()
    if filename.isascii():
        assert ascii_name == filename and "filename*" not in header
    else:
        utf8 = re.search(r"filename\*=UTF-8''([^;]+)", header).group(1)
        assert unquote(utf8) == filename


def test_the_ascii_fallback_name_reads_well():
    from lms.materials.serving import ascii_filename

    assert ascii_filename("Tài liệu Đà Nẵng.pdf") == "Tai lieu Da Nang.pdf"
    assert ascii_filename("Đường.pdf") == "Duong.pdf"
    assert ascii_filename("中文.pdf") == "material.pdf"
    assert ascii_filename('a"b\\c.pdf') == "abc.pdf"


def test_vietnamese_upload_names_survive_the_round_trip(client, db, world):
    client.sign_in(world.trainer.email)
    name = "Hướng dẫn đánh giá RECP – Khu công nghiệp Hòa Khánh.pdf"
    client.submit(world.manage_path + "/new/file", upload_form(name, samples.PDF))
    material = db.session.scalar(select(Material))
    response = client.get(f"/materials/{material.id}/download", buffered=True)
    utf8 = re.search(r"filename\*=UTF-8''([^;]+)", response.headers["Content-Disposition"]).group(1)
    assert unquote(utf8) == name


def test_a_file_missing_from_storage_is_a_404_not_a_crash(app, client, db, world):
    material = add_file(world, world.trainer)
    db.session.commit()
    for path in stored_files(app):
        path.unlink()
    assert client.get(f"/materials/{material.id}/download", buffered=True).status_code == 404


# -- the module page stays fast ----------------------------------------------------------


@pytest.mark.parametrize("who", [None, "registered@example.org", "trainer@example.org"])
def test_module_page_queries_stay_flat_as_materials_grow(app, client, db, world, who):
    if who:
        client.sign_in(who, PASSWORD)

    def queries_with(materials: int) -> int:
        for index in range(materials):
            visibility = ("everyone", "registered", "after_start")[index % 3]
            if index % 4 == 3:
                add_link(world.module, world.trainer, visibility=visibility, title_en=f"Link {index}")
            else:
                material = add_file(world, world.trainer, visibility=visibility, title_en=f"File {index}")
                if index % 2:
                    services_replace(material)
        db.session.commit()
        with count_queries(app) as counter:
            response = client.get(world.module_path + "?lang=en")
        assert response.status_code == 200
        return counter.count

    small = queries_with(3)
    large = queries_with(24)
    assert large == small


def services_replace(material) -> None:
    services.replace_file(material, None, "again.pdf", io.BytesIO(samples.PDF + b"%again"))


# Werkzeug drops (without closing) the spooled part it was filling when the client went
# away; the garbage collector closes it, which pytest reports as an unraisable warning.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_browser_that_disconnects_mid_upload_leaves_nothing(app, client, db, world):
    client.sign_in(world.trainer.email)
    boundary = "----materials-test"
    fields = {
        "csrf_token": client.csrf_token(),
        "title_en": "Slides",
        "languages": "en",
        "visibility": "everyone",
    }
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="Bài giảng.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + samples.PDF
    # The browser announced more than it sent: the connection dropped mid-file.
    response = client.post(
        world.manage_path + "/new/file",
        input_stream=io.BytesIO(body),
        content_length=len(body) + 100_000,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert stored_files(app) == []
    assert db.session.scalar(select(func.count(Material.id))) == 0
