"""Bar charts drawn on the server as inline SVG: no JavaScript, readable by screen readers.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>``; the page puts
the chart's data table right after it, so the figures are there for anyone the
picture does not serve. Colours are presentation attributes (no inline styles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from lms.i18n import format_number

WIDTH = 720
LABEL_WIDTH = 280
VALUE_WIDTH = 90
ROW_HEIGHT = 30
BAR_HEIGHT = 18
TOP = 8
LEGEND_HEIGHT = 28
# Accessible on white, distinct for the common kinds of colour blindness (Okabe–Ito order).
PALETTE = ["#1f6f4a", "#e69f00", "#b2361f", "#0072b2", "#9aa5a0", "#cc79a7", "#56b4e9"]
TRACK = "#e8f3ec"
INK = "#1d2a22"
MUTED = "#5b6b61"
LABEL_CHARACTERS = 42


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    # Drawn as the bar's full length (a run's capacity); None: scaled to the largest value.
    limit: float | None = None
    text: str | None = None  # the figure written after the bar (default: the value)


@dataclass(frozen=True)
class Stack:
    label: str
    values: Sequence[float]


def _shorten(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def _frame(chart_id: str, title: str, description: str, height: int, body: list[str]) -> Markup:
    # The body is ours: numbers and attributes we wrote, every piece of text through escape().
    safe_body = Markup("".join(body))  # noqa: S704  # nosec B704
    return Markup(
        '<svg class="chart" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {w} {h}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
        'font-family="Noto Sans, Segoe UI, Roboto, Arial, sans-serif" font-size="13">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>'
    ).format(id=chart_id, w=WIDTH, h=height, title=title, desc=description, body=safe_body)


def _label(y: float, label: str) -> str:
    return (
        f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT / 2 + 4:.1f}" text-anchor="end" fill="{INK}">'
        f"<title>{escape(label)}</title>{escape(_shorten(label))}</text>"
    )


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, one per row; a bar with a limit is drawn inside a track of that length."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max([bar.limit or bar.value for bar in bars] + [1])
    body = []
    for index, bar in enumerate(bars):
        y = TOP + index * ROW_HEIGHT
        body.append(_label(y, bar.label))
        if bar.limit is not None:
            track = plot * bar.limit / largest
            body.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{track:.1f}" height="{BAR_HEIGHT}" fill="{TRACK}" stroke="{PALETTE[0]}" stroke-width="1"/>')  # fmt: skip
        length = plot * bar.value / largest
        if length > 0:
            body.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{max(length, 2):.1f}" height="{BAR_HEIGHT}" fill="{PALETTE[0]}"/>')  # fmt: skip
        end = LABEL_WIDTH + max(length, plot * (bar.limit or 0) / largest) + 6
        text = bar.text if bar.text is not None else format_number(bar.value)
        body.append(
            f'<text x="{end:.1f}" y="{y + BAR_HEIGHT / 2 + 4:.1f}" fill="{MUTED}">{escape(text)}</text>'
        )
    return _frame(chart_id, title, description, TOP * 2 + ROW_HEIGHT * max(len(bars), 1), body)


def stacked_chart(
    chart_id: str, title: str, description: str, legend: Sequence[str], stacks: Sequence[Stack]
) -> Markup:
    """Horizontal bars split into parts (one colour per legend entry), scaled to the largest total."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max([sum(stack.values) for stack in stacks] + [1])
    body = []
    x = LABEL_WIDTH
    for index, name in enumerate(legend):
        body.append(
            f'<rect x="{x}" y="{TOP}" width="12" height="12" fill="{PALETTE[index % len(PALETTE)]}"/>'
        )
        body.append(f'<text x="{x + 16}" y="{TOP + 11}" fill="{INK}">{escape(name)}</text>')
        x += 28 + 7.5 * len(name)
    for row, stack in enumerate(stacks):
        y = TOP + LEGEND_HEIGHT + row * ROW_HEIGHT
        body.append(_label(y, stack.label))
        x = float(LABEL_WIDTH)
        for index, value in enumerate(stack.values):
            if value <= 0:
                continue
            length = plot * value / largest
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
                f'fill="{PALETTE[index % len(PALETTE)]}"><title>{escape(legend[index])}: {escape(format_number(value))}</title></rect>'
            )
            x += length
        body.append(f'<text x="{x + 6:.1f}" y="{y + BAR_HEIGHT / 2 + 4:.1f}" fill="{MUTED}">{escape(format_number(sum(stack.values)))}</text>')  # fmt: skip
    height = TOP * 2 + LEGEND_HEIGHT + ROW_HEIGHT * max(len(stacks), 1)
    return _frame(chart_id, title, description, height, body)
