"""Generate the shipped PDF handouts: one per module and language, from the module's
``module.yaml`` (title, objectives) and ``outline.<locale>.md``.

The PDFs embed a subset of DejaVu Sans, so Vietnamese diacritics render on every
reader, and are built reproducibly (no timestamps or random IDs): running the script
again on unchanged content gives the same bytes, and `flask lms load-content` then
sees no new version. The generated PDFs are committed with the content.

Usage: .venv/bin/python scripts/make_handouts.py [content/eip-2023]
Needs: reportlab (requirements.txt) and the DejaVu fonts (Debian: fonts-dejavu-core).
"""

from __future__ import annotations

import re
import sys
from html import escape
from pathlib import Path

import yaml
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer

ROOT = Path(__file__).resolve().parent.parent
FONT_FOLDER = Path("/usr/share/fonts/truetype/dejavu")
GREEN = colors.HexColor("#1f6f4a")
MUTED = colors.HexColor("#5b6b61")

WORDS = {
    "vi": {
        "kind": "Tài liệu phát tay",
        "module": "Học phần {num}",
        "objectives": "Sau học phần này, học viên có thể",
        "content": "Nội dung chính",
        "footer": "Khóa đào tạo trực tuyến miễn phí về khu công nghiệp sinh thái · Bộ Kế hoạch và Đầu tư và UNIDO, "
        "trong khuôn khổ Chương trình Khu công nghiệp sinh thái toàn cầu (GEIPP) do SECO (Thụy Sĩ) tài trợ",
        "page": "Trang {num}",
    },
    "en": {
        "kind": "Handout",
        "module": "Module {num}",
        "objectives": "After this module, learners can",
        "content": "Key content",
        "footer": "Free online training course on eco-industrial parks · Ministry of Planning and Investment and "
        "UNIDO, under the Global Eco-Industrial Parks Programme (GEIPP) funded by Switzerland (SECO)",
        "page": "Page {num}",
    },
}


def register_fonts() -> None:
    pdfmetrics.registerFont(TTFont("DejaVuSans", FONT_FOLDER / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", FONT_FOLDER / "DejaVuSans-Bold.ttf"))
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold")


def styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName="DejaVuSans", fontSize=10, leading=14.5, alignment=TA_LEFT)
    return {
        "body": base,
        "kicker": ParagraphStyle("kicker", base, fontName="DejaVuSans-Bold", fontSize=9, textColor=GREEN),
        "title": ParagraphStyle(
            "title", base, fontName="DejaVuSans-Bold", fontSize=18, leading=23, spaceAfter=4
        ),
        "course": ParagraphStyle("course", base, textColor=MUTED, spaceAfter=10),
        "h2": ParagraphStyle(
            "h2",
            base,
            fontName="DejaVuSans-Bold",
            fontSize=12,
            leading=16,
            textColor=GREEN,
            spaceBefore=8,
            spaceAfter=3,
        ),
        "item": ParagraphStyle("item", base, leading=13.5),
    }


def inline(text: str) -> str:
    """Markdown's **bold** and *italic* as ReportLab markup; everything else escaped."""
    text = escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"\*(.+?)\*", r"<i>\1</i>", text)


def bullets(items: list[str], style: ParagraphStyle) -> ListFlowable:
    return ListFlowable(
        [ListItem(Paragraph(inline(item), style), leftIndent=12) for item in items],
        bulletType="bullet",
        start="•",
        leftIndent=12,
        bulletFontName="DejaVuSans",
        spaceBefore=2,
        spaceAfter=4,
    )


def markdown_flowables(markdown: str, s: dict[str, ParagraphStyle]) -> list:
    """The outline's headings, bullet lists and paragraphs (the Markdown the outlines use)."""
    flowables, items = [], []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = [line.rstrip() for line in block.splitlines() if line.strip()]
        if all(line.lstrip().startswith(("- ", "* ")) for line in lines):
            items = [line.lstrip()[2:] for line in lines]
            flowables.append(bullets(items, s["item"]))
        elif lines[0].startswith("#"):
            flowables.append(Paragraph(inline(lines[0].lstrip("#").strip()), s["h2"]))
            rest = "\n".join(lines[1:])
            if rest:
                flowables.extend(markdown_flowables(rest, s))
        else:
            flowables.append(Paragraph(inline(" ".join(lines)), s["body"]))
            flowables.append(Spacer(1, 4))
    return flowables


def build(module_folder: Path, course: dict, locale: str, target: Path) -> None:
    module = yaml.safe_load((module_folder / "module.yaml").read_text(encoding="utf-8"))
    words = WORDS[locale]
    s = styles()
    story = [
        Paragraph(
            f"{words['kind'].upper()} · {escape(words['module'].format(num=module['position']))}", s["kicker"]
        ),
        Spacer(1, 3),
        Paragraph(inline(module["title"][locale]), s["title"]),
        Paragraph(inline(course["title"][locale]), s["course"]),
        Paragraph(words["objectives"], s["h2"]),
        bullets(module.get("objectives", {}).get(locale, []), s["item"]),
        Paragraph(words["content"], s["h2"]),
        *markdown_flowables((module_folder / f"outline.{locale}.md").read_text(encoding="utf-8"), s),
    ]

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setStrokeColor(GREEN)
        canvas.setLineWidth(0.6)
        canvas.line(18 * mm, 16 * mm, A4[0] - 18 * mm, 16 * mm)
        footer_style = ParagraphStyle("footer", s["body"], fontSize=7, leading=9, textColor=MUTED)
        text = Paragraph(f"{escape(words['footer'])} · {words['page'].format(num=doc.page)}", footer_style)
        _, height = text.wrap(A4[0] - 36 * mm, 20 * mm)
        text.drawOn(canvas, 18 * mm, 14 * mm - height)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(target),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=24 * mm,
        title=f"{words['kind']}: {module['title'][locale]}",
        author="EIP Training",
        subject=course["title"][locale],
        lang=locale,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)


def main(folder: Path) -> None:
    rl_config.invariant = 1  # reproducible bytes: no creation date, no random document ID
    register_fonts()
    course = yaml.safe_load((folder / "course.yaml").read_text(encoding="utf-8"))
    for module_folder in sorted(path for path in (folder / "modules").iterdir() if path.is_dir()):
        target_folder = module_folder / "materials"
        target_folder.mkdir(exist_ok=True)
        for locale in ("vi", "en"):
            target = target_folder / f"handout.{locale}.pdf"
            build(module_folder, course, locale, target)
            print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "content" / "eip-2023")
