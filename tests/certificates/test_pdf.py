"""The certificate PDF, read back the way a reader (or a verifier) would: with pypdf."""

from __future__ import annotations

import io
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from fnmatch import fnmatch
from pathlib import Path

import pypdf
import pytest
import segno
from babel.dates import format_date
from pypdf.generic import ContentStream
from reportlab.pdfbase import pdfmetrics

from lms.certificates.pdf import (
    FONT_DIR,
    FONT_FILES,
    CertificateContent,
    CertificateFontError,
    find_font_files,
    qr_matrix,
    qr_runs,
    register_fonts,
    render_certificate,
)

CODE = "7KQ3-M9XD-2B4F-W8RT-ZP6H-C1NV-5YJE"
URL = f"https://eip-training.example.org/verify/{CODE}"
LONG_NAME = "Tôn Nữ Thị Phương Thảo Nguyễn Hoàng Bảo Ngọc Trần Đặng Mỹ Vũ"
CONTENT = CertificateContent(
    learner_name="Nguyễn Thị Hương",
    course_title={
        "vi": "Khóa đào tạo trực tuyến về khu công nghiệp sinh thái 2023",
        "en": "Online training course on eco-industrial parks 2023",
    },
    starts_on=date(2023, 10, 2),
    ends_on=date(2023, 12, 14),
    hours=12,
    issuers=[
        {"vi": "Bộ Kế hoạch và Đầu tư", "en": "Ministry of Planning and Investment"},
        {
            "vi": "Tổ chức Phát triển Công nghiệp Liên Hợp Quốc (UNIDO)",
            "en": "United Nations Industrial Development Organization (UNIDO)",
        },
    ],
    issued_on=date(2023, 12, 20),
    code=CODE,
    verify_url=URL,
)
LONG = replace(
    CONTENT,
    learner_name=LONG_NAME,
    course_title={
        "vi": CONTENT.course_title["vi"],
        "en": "Online training course on eco-industrial parks, industrial and urban-industrial symbiosis, "
        "resource efficiency and cleaner production, and the financing of park transformation 2023",
    },
)


def read(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def words(text: str) -> str:
    """NFC with single spaces, so a title wrapped over two lines still reads as one."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


@pytest.fixture(scope="module")
def short_pdf() -> pypdf.PdfReader:
    return read(render_certificate(CONTENT))


@pytest.fixture(scope="module")
def long_pdf() -> pypdf.PdfReader:
    return read(render_certificate(LONG))


# ---------------------------------------------------------------------------------------------
# A small reader of the page's content stream: where each piece of text is drawn, how wide it is
# (from the embedded font's own widths), and the rectangles that are filled.


@dataclass(frozen=True)
class TextRun:
    text: str
    x: float
    baseline: float
    size: float
    width: float


def text_runs(reader: pypdf.PdfReader) -> list[TextRun]:
    """Each piece of text drawn: pypdf decodes it (through the ToUnicode maps); its width comes
    from the /Widths of the font it is drawn in."""
    page = reader.pages[0]
    decoded: dict[tuple[float, float], str] = {}
    page.extract_text(
        visitor_text=lambda text, cm, tm, font, size: (
            decoded.update({(round(tm[4], 2), round(tm[5], 2)): text}) if text.strip() else None
        )
    )
    fonts = page["/Resources"]["/Font"]
    runs = []
    font, size, x, y = None, 0.0, 0.0, 0.0
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"Tf":
            font, size = fonts[operands[0]].get_object(), float(operands[1])
        elif operator == b"Tm":
            assert [float(v) for v in operands[:4]] == [1, 0, 0, 1], "text is neither scaled nor rotated"
            x, y = float(operands[4]), float(operands[5])
        elif operator == b"Td":
            x, y = x + float(operands[0]), y + float(operands[1])
        elif operator in (b"Tj", b"TJ"):
            strings = operands[0] if operator == b"TJ" else [operands[0]]
            width = sum(string_width(font, s, size) for s in strings if not isinstance(s, int | float))
            runs.append(TextRun(decoded[round(x, 2), round(y, 2)].strip(), x, y, size, width))
    return runs


def string_width(font, string, size: float) -> float:
    raw = string.get_original_bytes() if hasattr(string, "get_original_bytes") else bytes(string)
    first, widths = int(font["/FirstChar"]), [float(w) for w in font["/Widths"]]
    return sum(widths[code - first] for code in raw) * size / 1000


def filled_rectangles(reader: pypdf.PdfReader) -> list[tuple[float, float, float, float]]:
    page = reader.pages[0]
    return [
        tuple(float(v) for v in operands)
        for operands, operator in ContentStream(page.get_contents(), reader).operations
        if operator == b"re"
    ]


# ---------------------------------------------------------------------------------------------


def test_one_a4_landscape_page(short_pdf):
    assert len(short_pdf.pages) == 1
    box = short_pdf.pages[0].mediabox
    assert float(box.width) == pytest.approx(842, abs=1)
    assert float(box.height) == pytest.approx(595, abs=1)


def test_text_reads_in_both_languages(short_pdf):
    text = words(short_pdf.pages[0].extract_text())

    assert words("Nguyễn Thị Hương") in text
    assert "GIẤY CHỨNG NHẬN HOÀN THÀNH" in text
    assert "CERTIFICATE OF COMPLETION" in text
    assert CONTENT.course_title["vi"] in text
    assert CONTENT.course_title["en"] in text
    assert format_date(date(2023, 12, 20), format="long", locale="vi") in text  # 20 tháng 12, 2023
    assert "December 20, 2023" in text
    assert "2 tháng 10, 2023" in text
    assert "14 tháng 12, 2023" in text
    assert "From October 2, 2023 to December 14, 2023" in text
    assert "12 giờ" in text
    assert "12 hours" in text
    assert "Bộ Kế hoạch và Đầu tư" in text
    assert "United Nations Industrial Development Organization (UNIDO)" in text


def test_code_stands_whole_on_one_line(long_pdf):
    lines = [line.strip() for line in long_pdf.pages[0].extract_text().splitlines()]
    assert CODE in lines


def test_link_annotations_open_the_verification_page(short_pdf):
    annotations = [a.get_object() for a in short_pdf.pages[0]["/Annots"]]
    links = [a for a in annotations if a["/Subtype"] == "/Link"]
    assert links  # the QR code and the printed address
    assert {link["/A"]["/URI"] for link in links} == {URL}


def test_name_typed_with_combining_marks_reads_back_precomposed():
    decomposed = unicodedata.normalize("NFD", "Đặng Quốc Bảo")
    assert decomposed != "Đặng Quốc Bảo"

    text = read(render_certificate(replace(CONTENT, learner_name=decomposed))).pages[0].extract_text()

    assert "Đặng Quốc Bảo" in unicodedata.normalize("NFC", text)


def test_sixty_character_name_is_drawn_smaller_and_stays_inside_the_frame(short_pdf, long_pdf):
    assert len(LONG_NAME) == 60
    short_name = [run for run in text_runs(short_pdf) if words(run.text) in words(CONTENT.learner_name)]
    long_runs = text_runs(long_pdf)
    long_name = [run for run in long_runs if run.text and words(run.text) in words(LONG_NAME)]

    assert words(" ".join(run.text for run in long_name)) == words(LONG_NAME)
    assert [run.size for run in short_name] == [34]
    assert all(run.size < 34 for run in long_name)
    # The gold inner frame lies 30 pt inside the page's edges; no text may cross it.
    for run in long_runs:
        assert run.x >= 30 and run.x + run.width <= 842 - 30, run
        assert run.baseline - 0.3 * run.size >= 30 and run.baseline + run.size <= 595 - 30, run


@pytest.mark.parametrize(
    "name",
    ["ĐẶNG" * 15, "WỸ " * 20],
    ids=["sixty capitals without a space", "sixty characters of wide words"],
)
def test_even_a_pathological_name_stays_inside_the_frame(name):
    reader = read(render_certificate(replace(LONG, learner_name=name, issuers=[*LONG.issuers] * 2)))

    assert len(reader.pages) == 1
    for run in text_runs(reader):
        assert run.x >= 30 and run.x + run.width <= 842 - 30, run


def test_long_title_wraps_within_the_frame(long_pdf):
    text = words(long_pdf.pages[0].extract_text())
    assert words(LONG.course_title["en"]) in text
    runs = text_runs(long_pdf)
    widest = max(run.width for run in runs)
    assert widest <= 842 - 2 * 72 + 0.5


def test_missing_language_falls_back_to_the_other_once():
    only_english = replace(
        CONTENT,
        course_title={"en": "Online training course on eco-industrial parks 2023"},
        issuers=[{"vi": "Bộ Kế hoạch và Đầu tư"}, {"en": "UNIDO"}],
    )

    reader = read(render_certificate(only_english))
    text = words(reader.pages[0].extract_text())

    assert text.count("Online training course on eco-industrial parks 2023") == 1
    title = next(run for run in text_runs(reader) if run.text.startswith("Online training"))
    assert title.size == 18  # in the Vietnamese title's place, not the smaller English one
    assert "BỘ KẾ HOẠCH VÀ ĐẦU TƯ · UNIDO" in text  # the header, not repeated in "English"
    assert text.count("Bộ Kế hoạch và Đầu tư") == 1  # its signature block, not repeated either
    assert text.count("UNIDO") == 2


def test_qr_matrix_is_segnos_for_the_url():
    expected = [[bool(module) for module in row] for row in segno.make_qr(URL, error="m").matrix]

    matrix = qr_matrix(URL)

    assert matrix == expected
    assert qr_matrix(URL + "X") != matrix


def test_qr_runs_cover_exactly_the_dark_modules():
    matrix = qr_matrix(URL)
    rebuilt = [[False] * len(row) for row in matrix]
    for row, column, length in qr_runs(matrix):
        for offset in range(length):
            assert not rebuilt[row][column + offset], "runs overlap"
            rebuilt[row][column + offset] = True
    assert rebuilt == matrix


def test_page_draws_the_qr_matrix_upright(short_pdf):
    """Rebuild the modules from the rectangles on the page: a QR drawn flipped would not scan."""
    rectangles = filled_rectangles(short_pdf)
    module = Counter(round(height, 3) for *_, height in rectangles).most_common(1)[0][0]
    qr = [r for r in rectangles if round(r[3], 3) == module]
    left = min(x for x, *_ in qr)
    top = max(y + height for _, y, _, height in qr)
    matrix = qr_matrix(URL)
    drawn = [[False] * len(matrix) for _ in matrix]
    for x, y, width, height in qr:
        row = round((top - (y + height)) / module)
        first = round((x - left) / module)
        for column in range(first, first + round(width / module)):
            drawn[row][column] = True
    assert drawn == matrix


def test_same_content_gives_the_same_bytes():
    assert render_certificate(CONTENT) == render_certificate(CONTENT)


def test_the_fonts_are_shipped_in_the_repository_and_render_the_certificate():
    """Nothing to install: the fonts come with the code, with their license beside them."""
    repository = Path(__file__).resolve().parents[2]
    files = find_font_files()
    assert set(files) == set(FONT_FILES)
    for path in files.values():
        assert path.resolve().is_relative_to(repository / "lms" / "certificates" / "fonts"), path
        assert 100_000 < path.stat().st_size < 1_000_000  # whole fonts, not subsets, nor something else
    assert "SIL OPEN FONT LICENSE Version 1.1" in (repository / "lms/certificates/fonts/OFL.txt").read_text()

    reader = pypdf.PdfReader(io.BytesIO(render_certificate(CONTENT)))
    registered = {str(pdfmetrics.getFont(name).face.filename) for name in register_fonts().values()}
    assert registered == {str(path) for path in files.values()}
    fonts = {str(font.get_object()["/BaseFont"]) for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts and all("NotoSerif" in font for font in fonts), fonts


def test_a_built_package_would_carry_the_fonts_and_their_license():
    repository = Path(__file__).resolve().parents[2]
    pyproject = tomllib.loads((repository / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["lms"]
    for path in [*find_font_files().values(), FONT_DIR / "OFL.txt"]:
        relative = path.relative_to(repository / "lms").as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), relative


def test_missing_fonts_are_named(tmp_path):
    with pytest.raises(CertificateFontError, match=r"NotoSerif-Regular\.ttf.*lms/certificates/fonts/"):
        find_font_files(tmp_path)
