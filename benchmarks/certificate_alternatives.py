"""The certificate drawn with the PDF libraries we measured against ReportLab.

The application does not use these: they exist so that `certificates.py --library fpdf2` and
`--library weasyprint` can re-run the comparison that chose ReportLab. Each draws the same content as
lms.certificates.pdf (bilingual text in Noto Serif, border, vector QR code from the same matrix, link
annotations) with a layout close to it, and a baseline: one line of text on an A4 page with the same
fonts. The libraries are not project dependencies; install them into the virtualenv to compare
(see benchmarks/README.md).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from lms.certificates.pdf import (
    PRIMARY,
    SECONDARY,
    WORDS,
    CertificateContent,
    clean,
    in_language,
    issued_line,
    period_line,
    qr_matrix,
    qr_runs,
)
from lms.certificates.typesetting import find_font_files

Renderers = tuple[Callable[[CertificateContent], bytes], Callable[[], bytes]]

WIDTH, HEIGHT = 841.89, 595.28
MARGIN = 72
CONTENT_WIDTH = WIDTH - 2 * MARGIN
INK, GREEN, GOLD, MUTED, LINK = "#1d2a24", "#1f6f4a", "#b08d3c", "#5b6b61", "#1b5e8c"
QR_SIZE = 78


def _middle_lines(content: CertificateContent) -> list[tuple[str, str, str, float]]:
    """(text, style, colour, size) from the title down to the edition's dates, as the app draws them."""
    vi, en = WORDS[PRIMARY], WORDS[SECONDARY]
    return [
        (vi["title"], "B", GREEN, 30),
        (en["title"], "", MUTED, 13),
        (vi["certify"], "", INK, 13),
        (en["certify"], "I", MUTED, 10.5),
        (clean(content.learner_name), "B", INK, 34),
        (vi["completed"], "", INK, 13),
        (en["completed"], "I", MUTED, 10.5),
        (in_language(content.course_title, PRIMARY), "B", GREEN, 18),
        (in_language(content.course_title, SECONDARY), "I", INK, 13.5),
        (period_line(content, PRIMARY), "", INK, 10.5),
        (period_line(content, SECONDARY), "I", MUTED, 9.5),
    ]


# ---------------------------------------------------------------------------------------------
# fpdf2


def fpdf2_renderers() -> Renderers:
    from fpdf import FPDF

    files = find_font_files()

    def new_page() -> FPDF:
        # fpdf2 keeps fonts per document: there is no process-wide registry to fill once.
        pdf = FPDF(orientation="L", unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        for style, key in (("", "regular"), ("B", "bold"), ("I", "italic")):
            pdf.add_font("Serif", style, files[key])
        pdf.add_page()
        return pdf

    def rgb(colour: str) -> tuple[int, int, int]:
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)

    def centred(pdf: FPDF, text: str, style: str, colour: str, size: float, y: float, *, x: float = MARGIN,
                width: float = CONTENT_WIDTH, max_lines: int = 1) -> float:  # fmt: skip
        pdf.set_font("Serif", style, size)
        natural = pdf.get_string_width(text)
        if natural > width * max_lines * 0.95:
            size = size * width * max_lines * 0.95 / natural
            pdf.set_font("Serif", style, size)
        pdf.set_text_color(*rgb(colour))
        pdf.set_xy(x, y)
        pdf.multi_cell(width, size * 1.2, text, align="C")
        return pdf.get_y()

    def render(content: CertificateContent) -> bytes:
        pdf = new_page()
        pdf.set_draw_color(*rgb(GREEN))
        pdf.set_line_width(3)
        pdf.rect(22, 22, WIDTH - 44, HEIGHT - 44)
        pdf.set_draw_color(*rgb(GOLD))
        pdf.set_line_width(0.8)
        pdf.rect(30, 30, WIDTH - 60, HEIGHT - 60)
        pdf.set_fill_color(*rgb(GOLD))
        for x in (30, WIDTH - 30):
            for y in (30, HEIGHT - 30):
                pdf.rect(x - 3.5, y - 3.5, 7, 7, style="F")

        vi_issuers = "  ·  ".join(in_language(i, PRIMARY).upper() for i in content.issuers)
        en_issuers = "  ·  ".join(in_language(i, SECONDARY) for i in content.issuers)
        y = centred(pdf, vi_issuers, "B", GREEN, 9, 40)
        y = centred(pdf, en_issuers, "I", MUTED, 8.5, y + 2)
        y += 20
        for text, style, colour, size in _middle_lines(content):
            y = (
                centred(pdf, text, style, colour, size, y + 3, max_lines=2)
                if size < 30
                else centred(pdf, text, style, colour, size, y)
            )

        left, top = MARGIN - 8, HEIGHT - 54 - QR_SIZE
        matrix = qr_matrix(content.verify_url)
        module = QR_SIZE / len(matrix)
        pdf.set_fill_color(*rgb(INK))
        for row, column, length in qr_runs(matrix):
            pdf.rect(left + column * module, top + row * module, length * module, module, style="F")
        pdf.link(left, top, QR_SIZE, QR_SIZE, content.verify_url)
        x, width = left + QR_SIZE + 12, 262 - QR_SIZE - 12
        pdf.set_text_color(*rgb(INK))
        for text, style, size in (
            (f"{WORDS['vi']['code']} / {WORDS['en']['code']}", "I", 7.5),
            (content.code, "B", 10),
            (f"{WORDS['vi']['verify']} / {WORDS['en']['verify']}", "I", 7.5),
        ):
            pdf.set_font("Serif", style, size)
            pdf.set_xy(x, top + 2 if text.startswith("Mã") else pdf.get_y() + 2)
            pdf.cell(width, size * 1.3, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Serif", "", 7)
        pdf.set_text_color(*rgb(LINK))
        pdf.set_xy(x, pdf.get_y() + 2)
        pdf.multi_cell(width, 9, content.verify_url, align="L", link=content.verify_url)

        area_left = MARGIN + 262
        area = WIDTH - MARGIN - area_left
        centred(pdf, issued_line(content, PRIMARY), "", INK, 10.5, HEIGHT - 172, x=area_left, width=area)
        centred(pdf, issued_line(content, SECONDARY), "I", MUTED, 9.5, HEIGHT - 158, x=area_left, width=area)
        column = area / max(1, len(content.issuers))
        for index, issuer in enumerate(content.issuers):
            x = area_left + column * index + 10
            pdf.set_draw_color(*rgb(MUTED))
            pdf.set_line_width(0.5)
            pdf.line(x, HEIGHT - 94, x + column - 20, HEIGHT - 94)
            y = centred(pdf, in_language(issuer, PRIMARY), "B", INK, 9, HEIGHT - 90, x=x, width=column - 20)
            centred(pdf, in_language(issuer, SECONDARY), "I", MUTED, 8, y, x=x, width=column - 20)
        return bytes(pdf.output())

    def baseline() -> bytes:
        pdf = new_page()
        pdf.set_font("Serif", "", 12)
        pdf.text(72, 90, "Giấy chứng nhận hoàn thành – Certificate of completion")
        return bytes(pdf.output())

    return render, baseline


# ---------------------------------------------------------------------------------------------
# WeasyPrint


def weasyprint_renderers() -> Renderers:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    files = find_font_files()
    font_config = FontConfiguration()
    faces = "".join(
        f"@font-face {{ font-family: Serif; src: url('{files[key].as_uri()}'); font-weight: {weight};"
        f" font-style: {style}; }}"
        for key, weight, style in (
            ("regular", 400, "normal"),
            ("bold", 700, "normal"),
            ("italic", 400, "italic"),
        )
    )
    # Fonts and page rules are parsed once and shared by every document, like ReportLab's registry.
    stylesheet = CSS(
        string=faces
        + f"""
        @page {{ size: A4 landscape; margin: 0; }}
        body {{ margin: 0; font-family: Serif; color: {INK}; }}
        .page {{ position: relative; width: {WIDTH}pt; height: {HEIGHT}pt; }}
        .outer {{ position: absolute; left: 22pt; top: 22pt; right: 22pt; bottom: 22pt;
                 border: 3pt solid {GREEN}; }}
        .inner {{ position: absolute; left: 30pt; top: 30pt; right: 30pt; bottom: 30pt;
                 border: 0.8pt solid {GOLD}; }}
        .middle {{ position: absolute; left: {MARGIN}pt; right: {MARGIN}pt; top: 40pt; text-align: center; }}
        .middle p {{ margin: 3pt 0; line-height: 1.2; }}
        .b {{ font-weight: 700; }} .i {{ font-style: italic; }}
        .verify {{ position: absolute; left: {MARGIN - 8}pt; bottom: 54pt; width: 262pt; font-size: 7.5pt; }}
        .verify svg {{ float: left; margin-right: 12pt; }}
        .verify p {{ margin: 0 0 3pt 0; }}
        .verify a {{ color: {LINK}; text-decoration: none; word-break: break-all; }}
        .issuers {{ position: absolute; left: {MARGIN + 262}pt; right: {MARGIN}pt; bottom: 50pt;
                   text-align: center; }}
        .issuers .row {{ display: flex; margin-top: 36pt; }}
        .issuers .row div {{ flex: 1; margin: 0 10pt; border-top: 0.5pt solid {MUTED}; font-size: 8pt; }}
        """,
        font_config=font_config,
    )

    def line(text: str, style: str, colour: str, size: float) -> str:
        # CSS has no shrink-to-fit: size by the text's length, as the app's fitting roughly does.
        size = min(size, CONTENT_WIDTH * 2 / (0.55 * max(1, len(text)))) if size < 30 else size
        classes = {"B": "b", "I": "i", "": ""}[style]
        return f'<p class="{classes}" style="color:{colour}; font-size:{size:.1f}pt">{html.escape(text)}</p>'

    def qr_svg(url: str) -> str:
        matrix = qr_matrix(url)
        path = "".join(f"M{column} {row}h{length}v1h-{length}z" for row, column, length in qr_runs(matrix))
        n = len(matrix)
        return (
            f'<a href="{html.escape(url)}"><svg width="{QR_SIZE}pt" height="{QR_SIZE}pt" '
            f'viewBox="0 0 {n} {n}"><path fill="{INK}" d="{path}"/></svg></a>'
        )

    def render(content: CertificateContent) -> bytes:
        vi_issuers = "  ·  ".join(in_language(i, PRIMARY).upper() for i in content.issuers)
        en_issuers = "  ·  ".join(in_language(i, SECONDARY) for i in content.issuers)
        url = html.escape(content.verify_url)
        issuers = "".join(
            f'<div><p class="b">{html.escape(in_language(i, PRIMARY))}</p>'
            f'<p class="i">{html.escape(in_language(i, SECONDARY))}</p></div>'
            for i in content.issuers
        )
        document = f"""<!doctype html><html lang="vi"><body><div class="page">
            <div class="outer"></div><div class="inner"></div>
            <div class="middle">{line(vi_issuers, "B", GREEN, 9)}{line(en_issuers, "I", MUTED, 8.5)}
            {"".join(line(*item) for item in _middle_lines(content))}</div>
            <div class="verify">{qr_svg(content.verify_url)}
              <p class="i">{WORDS["vi"]["code"]} / {WORDS["en"]["code"]}</p>
              <p class="b" style="font-size:10pt">{html.escape(content.code)}</p>
              <p class="i">{WORDS["vi"]["verify"]} / {WORDS["en"]["verify"]}</p>
              <p><a href="{url}">{url}</a></p></div>
            <div class="issuers"><p>{html.escape(issued_line(content, PRIMARY))}</p>
              <p class="i">{html.escape(issued_line(content, SECONDARY))}</p>
              <div class="row">{issuers}</div></div>
            </div></body></html>"""
        return HTML(string=document).write_pdf(stylesheets=[stylesheet], font_config=font_config)

    def baseline() -> bytes:
        document = '<!doctype html><html lang="vi"><body><p>Giấy chứng nhận hoàn thành – Certificate of completion</p>'
        return HTML(string=document).write_pdf(stylesheets=[stylesheet], font_config=font_config)

    return render, baseline


RENDERERS: dict[str, Callable[[], Renderers]] = {"fpdf2": fpdf2_renderers, "weasyprint": weasyprint_renderers}
