"""The certificate of completion as a PDF: one A4 landscape page, Vietnamese first, English beneath.

Pure rendering: no Flask, no database, no request context. The caller gathers the facts into a
``CertificateContent`` and gets the PDF's bytes back from ``render_certificate``.

Text is set in Noto Serif, shipped with the code in ``fonts/`` (SIL Open Font License, ``fonts/OFL.txt``)
so a machine with only Python renders certificates, and embedded as subsets with ToUnicode maps so the
Vietnamese diacritics render on every reader and the text can be searched and extracted. The QR code
that points to the verification page is drawn as vector modules from segno's matrix. Rendering is
deterministic: the same content gives the same bytes.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from lms.certificates.typesetting import (
    ABOVE_BASELINE,
    BOLD,
    ITALIC,
    REGULAR,
    FittedText,
    fit_text,
    register_fonts,
)
from lms.qrcodes import qr_matrix, qr_runs

__all__ = ["CertificateContent", "qr_matrix", "qr_runs", "render_certificate"]

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
PRIMARY, SECONDARY = "vi", "en"

INK = HexColor("#1d2a24")
GREEN = HexColor("#1f6f4a")
GOLD = HexColor("#b08d3c")
MUTED = HexColor("#5b6b61")
LINK = HexColor("#1b5e8c")

MARGIN = 72  # text never comes closer than this to the page edge; the border lies inside it
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
CENTRE = PAGE_WIDTH / 2
QR_SIZE = 78

WORDS = {
    "vi": {
        "title": "GIẤY CHỨNG NHẬN HOÀN THÀNH",
        "certify": "Chứng nhận",
        "completed": "đã hoàn thành khóa học",
        "period": "Thời gian: {start} – {end}  ·  Thời lượng: {hours} giờ",
        "issued": "Cấp ngày {date}",
        "code": "Mã chứng nhận",
        "verify": "Xác minh tại",
    },
    "en": {
        "title": "CERTIFICATE OF COMPLETION",
        "certify": "This is to certify that",
        "completed": "has completed the course",
        "period": "From {start} to {end}  ·  {hours} {hour_word}",
        "issued": "Issued on {date}",
        "code": "Certificate code",
        "verify": "Verify at",
    },
}


@dataclass(frozen=True)
class CertificateContent:
    learner_name: str  # exactly as typed, e.g. "Nguyễn Thị Hương"
    course_title: Mapping[str, str]  # {"vi": ..., "en": ...}; a missing one falls back to the other
    starts_on: date  # first and last day of the edition
    ends_on: date
    hours: int
    issuers: Sequence[Mapping[str, str]]  # each {"vi": ..., "en": ...}, e.g. MPI, UNIDO
    issued_on: date
    code: str  # display form, seven groups of four joined by "-"
    verify_url: str  # absolute: https://host/verify/<code>


# ---------------------------------------------------------------------------------------------
# Words on the page


def clean(text: str) -> str:
    """NFC (a name typed with combining marks draws with the font's precomposed glyphs), and
    single spaces."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def in_language(texts: Mapping[str, str], locale: str) -> str:
    """The text in ``locale``, else in the certificate's other language."""
    other = SECONDARY if locale == PRIMARY else PRIMARY
    return clean(texts.get(locale) or texts.get(other) or "")


def second_language(texts: Mapping[str, str]) -> str | None:
    """The English text, or None where it would only repeat the Vietnamese (one was missing)."""
    text = in_language(texts, SECONDARY)
    return None if text == in_language(texts, PRIMARY) else text


def long_date(day: date, locale: str) -> str:
    return format_date(day, format="long", locale=locale)


def period_line(content: CertificateContent, locale: str) -> str:
    return WORDS[locale]["period"].format(
        start=long_date(content.starts_on, locale),
        end=long_date(content.ends_on, locale),
        hours=format_decimal(content.hours, locale=locale),
        hour_word="hour" if content.hours == 1 else "hours",
    )


def issued_line(content: CertificateContent, locale: str) -> str:
    return WORDS[locale]["issued"].format(date=long_date(content.issued_on, locale))


# ---------------------------------------------------------------------------------------------
# Layout: the middle of the page is a stack of blocks whose spare height is shared out between
# them, so a short name and a long two-line title both leave balanced whitespace.


@dataclass(frozen=True)
class Block:
    fitted: FittedText | None  # None: a short rule under the learner's name
    font: str = REGULAR
    color: Color = INK
    space_before: float = 0  # the least whitespace above the block
    stretch: float = 0  # its share of the spare height, added above it

    @property
    def height(self) -> float:
        return self.fitted.height if self.fitted else 0


def text_block(
    text: str,
    font: str,
    color: Color,
    *,
    max_size: float,
    min_size: float | None = None,
    max_lines: int = 1,
    max_height: float | None = None,
    leading: float = 1.2,
    space_before: float = 0,
    stretch: float = 0,
) -> Block:
    fitted = fit_text(
        text,
        font,
        max_size=max_size,
        min_size=min_size if min_size is not None else max_size,
        width=CONTENT_WIDTH,
        max_lines=max_lines,
        max_height=max_height,
        leading=leading,
    )
    return Block(fitted, font, color, space_before, stretch)


def middle_blocks(content: CertificateContent) -> list[Block]:
    vi, en = WORDS[PRIMARY], WORDS[SECONDARY]
    english_title = second_language(content.course_title)
    blocks = [
        text_block(vi["certify"], REGULAR, INK, max_size=13),
        text_block(en["certify"], ITALIC, MUTED, max_size=10.5, space_before=1),
        # Wrapping is allowed only below 20 pt (two lines then fit in 46 pt), so a long name
        # first shrinks on one line.
        text_block(
            clean(content.learner_name),
            BOLD,
            INK,
            max_size=34,
            min_size=16,
            max_lines=2,
            max_height=46,
            leading=1.1,
            space_before=6,
            stretch=1,
        ),
        Block(None, space_before=6, stretch=0.5),
        text_block(vi["completed"], REGULAR, INK, max_size=13, space_before=8, stretch=1),
        text_block(en["completed"], ITALIC, MUTED, max_size=10.5, space_before=1),
        text_block(
            in_language(content.course_title, PRIMARY),
            BOLD,
            GREEN,
            max_size=18,
            min_size=12,
            max_lines=2,
            leading=1.15,
            space_before=6,
            stretch=1,
        ),
    ]
    if english_title:
        blocks.append(
            text_block(
                english_title,
                ITALIC,
                INK,
                max_size=13.5,
                min_size=9.5,
                max_lines=2,
                leading=1.2,
                space_before=3,
                stretch=0.3,
            )
        )
    return [
        *blocks,
        text_block(
            period_line(content, PRIMARY), REGULAR, INK, max_size=10.5, min_size=7, space_before=8, stretch=1
        ),
        text_block(period_line(content, SECONDARY), ITALIC, MUTED, max_size=9.5, min_size=7, space_before=1),
    ]


def place_blocks(blocks: Sequence[Block], top: float, bottom: float) -> list[float]:
    """The top edge of each block when the stack fills the space from ``top`` down to ``bottom``."""
    used = sum(block.height + block.space_before for block in blocks)
    stretch = sum(block.stretch for block in blocks) or 1
    spare = max(0.0, (top - bottom) - used)
    tops = []
    y = top
    for block in blocks:
        y -= block.space_before + spare * block.stretch / stretch
        tops.append(y)
        y -= block.height
    return tops


# ---------------------------------------------------------------------------------------------
# Drawing


def render_certificate(content: CertificateContent) -> bytes:
    """The certificate as the bytes of a one-page A4 landscape PDF."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        pageCompression=1,
        invariant=1,
        lang=PRIMARY,
        initialFontName=REGULAR,
    )
    _describe(canvas, content)
    _draw_border(canvas)
    _draw_header(canvas, content)
    _draw_title(canvas)
    blocks = middle_blocks(content)
    for block, top in zip(blocks, place_blocks(blocks, top=MIDDLE_TOP, bottom=MIDDLE_BOTTOM), strict=True):
        _draw_block(canvas, block, top)
    _draw_verification(canvas, content)
    _draw_issuers(canvas, content)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


MIDDLE_TOP, MIDDLE_BOTTOM = 424, 176


def _describe(canvas: Canvas, content: CertificateContent) -> None:
    canvas.setTitle(f"Giấy chứng nhận hoàn thành – {clean(content.learner_name)}")
    canvas.setSubject(in_language(content.course_title, PRIMARY))
    canvas.setAuthor(" · ".join(in_language(issuer, PRIMARY) for issuer in content.issuers))
    canvas.setCreator("EIP training platform")


def _draw_border(canvas: Canvas) -> None:
    canvas.saveState()
    canvas.setStrokeColor(GREEN)
    canvas.setLineWidth(3)
    canvas.rect(22, 22, PAGE_WIDTH - 44, PAGE_HEIGHT - 44)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.8)
    canvas.rect(30, 30, PAGE_WIDTH - 60, PAGE_HEIGHT - 60)
    # Small squares where the inner frame turns, as on engraved certificates.
    canvas.setFillColor(GOLD)
    for x in (30, PAGE_WIDTH - 30):
        for y in (30, PAGE_HEIGHT - 30):
            canvas.rect(x - 3.5, y - 3.5, 7, 7, stroke=0, fill=1)
    canvas.restoreState()


def _draw_header(canvas: Canvas, content: CertificateContent) -> None:
    vi = "  ·  ".join(in_language(issuer, PRIMARY).upper() for issuer in content.issuers)
    en = "  ·  ".join(second_language(issuer) or in_language(issuer, PRIMARY) for issuer in content.issuers)
    first = _centred(canvas, vi, BOLD, GREEN, top=552, max_size=9, min_size=6, max_lines=2, max_height=21)
    if en.upper() != vi:
        _centred(
            canvas,
            en,
            ITALIC,
            MUTED,
            top=552 - first.height - 1.5,
            max_size=8.5,
            min_size=6,
            max_lines=2,
            max_height=19,
        )


def _draw_title(canvas: Canvas) -> None:
    _centred(canvas, WORDS[PRIMARY]["title"], BOLD, GREEN, top=506, max_size=30, min_size=30)
    _centred(canvas, WORDS[SECONDARY]["title"], REGULAR, MUTED, top=463, max_size=13, min_size=13)
    _ornament(canvas, y=436)


def _ornament(canvas: Canvas, y: float) -> None:
    canvas.saveState()
    canvas.setStrokeColor(GOLD)
    canvas.setFillColor(GOLD)
    canvas.setLineWidth(0.8)
    canvas.line(CENTRE - 90, y, CENTRE - 9, y)
    canvas.line(CENTRE + 9, y, CENTRE + 90, y)
    diamond = canvas.beginPath()
    diamond.moveTo(CENTRE - 5, y)
    diamond.lineTo(CENTRE, y + 5)
    diamond.lineTo(CENTRE + 5, y)
    diamond.lineTo(CENTRE, y - 5)
    diamond.close()
    canvas.drawPath(diamond, stroke=0, fill=1)
    canvas.restoreState()


def _draw_block(canvas: Canvas, block: Block, top: float) -> None:
    if block.fitted is None:
        canvas.saveState()
        canvas.setStrokeColor(GOLD)
        canvas.setLineWidth(0.6)
        canvas.line(CENTRE - 190, top, CENTRE + 190, top)
        canvas.restoreState()
        return
    _draw_lines(canvas, block.fitted, block.font, block.color, top=top, x=CENTRE)


def _draw_lines(
    canvas: Canvas,
    fitted: FittedText,
    font: str,
    color: Color,
    *,
    top: float,
    x: float,
    align: str = "centre",
) -> None:
    canvas.setFillColor(color)
    canvas.setFont(font, fitted.size)
    baseline = top - ABOVE_BASELINE * fitted.size
    for line in fitted.lines:
        if align == "centre":
            canvas.drawCentredString(x, baseline, line)
        else:
            canvas.drawString(x, baseline, line)
        baseline -= fitted.leading


def _centred(
    canvas: Canvas,
    text: str,
    font: str,
    color: Color,
    *,
    top: float,
    max_size: float,
    min_size: float,
    max_lines: int = 1,
    max_height: float | None = None,
    x: float = CENTRE,
    width: float = CONTENT_WIDTH,
    leading: float = 1.2,
) -> FittedText:
    """Draw ``text`` centred on ``x`` below ``top``, fitted to ``width`` (and ``max_height``)."""
    fitted = fit_text(
        text,
        font,
        max_size=max_size,
        min_size=min_size,
        width=width,
        max_lines=max_lines,
        max_height=max_height,
        leading=leading,
    )
    _draw_lines(canvas, fitted, font, color, top=top, x=x)
    return fitted


def _draw_verification(canvas: Canvas, content: CertificateContent) -> None:
    """Bottom left: the QR code, the code and the address of the verification page."""
    left, bottom = MARGIN - 8, 54
    _draw_qr(canvas, content.verify_url, left, bottom, QR_SIZE)
    canvas.linkURL(content.verify_url, (left, bottom, left + QR_SIZE, bottom + QR_SIZE), relative=0)

    x = left + QR_SIZE + 12
    width = VERIFICATION_WIDTH - QR_SIZE - 12
    vi, en = WORDS[PRIMARY], WORDS[SECONDARY]
    top = bottom + QR_SIZE + 2
    for text, font, color, size, gap in (
        (f"{vi['code']} / {en['code']}", ITALIC, MUTED, 7.5, 0),
        (content.code, BOLD, INK, 10, 2),
        (f"{vi['verify']} / {en['verify']}", ITALIC, MUTED, 7.5, 9),
    ):
        top -= gap
        fitted = fit_text(text, font, max_size=size, min_size=size * 0.7, width=width)
        _draw_lines(canvas, fitted, font, color, top=top, x=x, align="left")
        top -= fitted.height
    url = fit_text(content.verify_url, REGULAR, max_size=8, min_size=6, width=width, max_lines=3, url=True)
    _draw_lines(canvas, url, REGULAR, LINK, top=top - 2, x=x, align="left")
    canvas.linkURL(content.verify_url, (x, top - 2 - url.height, x + width, top - 2), relative=0)


VERIFICATION_WIDTH = 262


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    matrix = qr_matrix(url)
    module = size / len(matrix)
    path = canvas.beginPath()
    for row, column, length in qr_runs(matrix):
        path.rect(x + column * module, y + size - (row + 1) * module, length * module, module)
    canvas.saveState()
    canvas.setFillColor(INK)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _draw_issuers(canvas: Canvas, content: CertificateContent) -> None:
    """Bottom right: place-less issue date above one signature block per issuer, as on Vietnamese
    official papers."""
    left = MARGIN + VERIFICATION_WIDTH
    area = PAGE_WIDTH - MARGIN - left
    centre = left + area / 2
    _centred(
        canvas,
        issued_line(content, PRIMARY),
        REGULAR,
        INK,
        top=160,
        max_size=10.5,
        min_size=7,
        x=centre,
        width=area,
    )
    _centred(
        canvas,
        issued_line(content, SECONDARY),
        ITALIC,
        MUTED,
        top=146,
        max_size=9.5,
        min_size=7,
        x=centre,
        width=area,
    )

    issuers = list(content.issuers)
    # A lone issuer gets a signature line of ordinary length, centred under the date.
    column = min(area / max(1, len(issuers)), 230)
    first = left + (area - column * len(issuers)) / 2
    for index, issuer in enumerate(issuers):
        middle = first + column * (index + 0.5)
        width = column - 20
        canvas.saveState()
        canvas.setStrokeColor(MUTED)
        canvas.setLineWidth(0.5)
        canvas.line(middle - width / 2, 94, middle + width / 2, 94)
        canvas.restoreState()
        name = _centred(
            canvas,
            in_language(issuer, PRIMARY),
            BOLD,
            INK,
            top=90,
            max_size=9,
            min_size=6,
            max_lines=2,
            x=middle,
            width=width,
        )
        english = second_language(issuer)
        if not english:
            continue
        _centred(
            canvas,
            english,
            ITALIC,
            MUTED,
            top=88 - name.height,
            max_size=8,
            min_size=6,
            max_lines=2,
            x=middle,
            width=width,
        )
