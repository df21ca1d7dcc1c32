"""Typesetting the certificate's text: its fonts (Noto Serif, shipped with the code in
``fonts/`` under the SIL Open Font License, ``fonts/OFL.txt``, so a machine with only
Python renders certificates) and fitting a text into a width: wrapping, balancing lines
and shrinking the size until it fits. Pure: no Flask, no database."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# One family, three styles, shipped beside this module (Noto Serif 2.004, as Debian's fonts-noto-core
# 20201225-1 has them): the same glyphs, and so the same bytes, on every machine.
FONT_FAMILY = "Noto Serif"
FONT_FILES = {
    "regular": "NotoSerif-Regular.ttf",
    "bold": "NotoSerif-Bold.ttf",
    "italic": "NotoSerif-Italic.ttf",
}
FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD, ITALIC = "CertificateSerif", "CertificateSerif-Bold", "CertificateSerif-Italic"
FONT_NAMES = {"regular": REGULAR, "bold": BOLD, "italic": ITALIC}


class CertificateFontError(RuntimeError):
    """The certificate's fonts are missing from the folder they are shipped in."""


# ---------------------------------------------------------------------------------------------
# Fonts: found and registered once per process


def find_font_files(folder: Path = FONT_DIR) -> dict[str, Path]:
    """The path of each style's TrueType file in ``folder`` (the shipped fonts); raises
    CertificateFontError naming what is missing."""
    found = {style: folder / filename for style, filename in FONT_FILES.items()}
    missing = [path.name for path in found.values() if not path.is_file()]
    if missing:
        raise CertificateFontError(
            f"Certificates need the {FONT_FAMILY} fonts shipped with the code; {', '.join(missing)} "
            f"not found in {folder}. Restore lms/certificates/fonts/ from the repository."
        )
    return found


@functools.cache
def register_fonts() -> dict[str, str]:
    """Parse the fonts and register them with ReportLab; later calls return the same names."""
    files = find_font_files()
    for style, name in FONT_NAMES.items():
        pdfmetrics.registerFont(TTFont(name, files[style]))
    return dict(FONT_NAMES)


# ---------------------------------------------------------------------------------------------
# Text fitting


@dataclass(frozen=True)
class FittedText:
    size: float
    lines: list[str]
    leading: float

    @property
    def height(self) -> float:
        """From the top of the highest diacritic to the lowest descender."""
        return (ABOVE_BASELINE + BELOW_BASELINE) * self.size + (len(self.lines) - 1) * self.leading


# Noto Serif's stacked Vietnamese diacritics rise to about 0.9 em; descenders reach 0.29 em.
ABOVE_BASELINE, BELOW_BASELINE = 0.9, 0.29


def fit_text(
    text: str,
    font: str,
    *,
    max_size: float,
    min_size: float,
    width: float,
    max_lines: int = 1,
    max_height: float | None = None,
    leading: float = 1.2,
    url: bool = False,
) -> FittedText:
    """The largest size, from max_size down to min_size in half points, at which ``text`` wraps
    into at most ``max_lines`` lines no wider than ``width`` (and no taller than ``max_height``).

    Wrapped lines are balanced rather than leaving a last word alone. If even min_size does not
    fit, the text keeps shrinking below it: a long text gets small rather than leave its box.
    ``url`` breaks after slashes instead of at spaces.
    """
    size = max_size
    while True:
        lines = wrap_text(text, font, size, width, url=url)
        fitted = FittedText(size, lines, size * leading)
        if len(lines) <= max_lines and (max_height is None or fitted.height <= max_height + 0.01):
            return FittedText(size, balance_lines(text, font, size, width, lines, url=url), size * leading)
        size = size - 0.5 if size - 0.5 >= min_size else size * 0.92
        if size < 2:
            return fitted


def _tokens(text: str, url: bool) -> tuple[list[str], str]:
    if url:
        return [token for token in re.split(r"(?<=/)", text) if token], ""
    return text.split(), " "


def wrap_text(text: str, font: str, size: float, width: float, *, url: bool = False) -> list[str]:
    """Greedy wrap; a single word (or URL part) wider than ``width`` is broken between characters."""
    tokens, joiner = _tokens(text, url)
    lines: list[str] = []
    current = ""
    for token in tokens:
        candidate = f"{current}{joiner}{token}" if current else token
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = token
        while len(current) > 1 and pdfmetrics.stringWidth(current, font, size) > width:
            head = _longest_prefix_within(current, font, size, width)
            lines.append(head)
            current = current[len(head) :]
    if current:
        lines.append(current)
    return lines or [""]


def _longest_prefix_within(word: str, font: str, size: float, width: float) -> str:
    end = len(word) - 1
    while end > 1 and pdfmetrics.stringWidth(word[:end], font, size) > width:
        end -= 1
    return word[:end]


def balance_lines(
    text: str, font: str, size: float, width: float, lines: list[str], *, url: bool = False
) -> list[str]:
    """The same number of lines as ``lines``, wrapped at the narrowest width that still gives that
    number, so the lines come out of similar length."""
    if len(lines) < 2:
        return lines
    narrow, wide = width / len(lines), width
    best = lines
    for _ in range(12):
        middle = (narrow + wide) / 2
        attempt = wrap_text(text, font, size, middle, url=url)
        if len(attempt) <= len(lines):
            best, wide = attempt, middle
        else:
            narrow = middle
    return best
