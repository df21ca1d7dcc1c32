"""QR codes drawn as vector shapes from segno's matrix: the certificates' PDF and the
check-in code's SVG on the attendance sheet use the same modules."""

from __future__ import annotations

from collections.abc import Sequence

import segno
from markupsafe import Markup


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR code for ``url`` as rows of dark (True) and light modules, without the quiet zone."""
    qr = segno.make_qr(url, error="m")
    return [[bool(module) for module in row] for row in qr.matrix_iter(border=0)]


def qr_runs(matrix: Sequence[Sequence[bool]]) -> list[tuple[int, int, int]]:
    """The dark modules of a QR matrix as horizontal runs (row, first column, length).

    Drawing one rectangle per run instead of one per module keeps the page's path short.
    """
    runs = []
    for row_number, row in enumerate(matrix):
        start = None
        for column, dark in enumerate([*row, False]):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                runs.append((row_number, start, column - start))
                start = None
    return runs


def qr_svg(url: str, label: str, quiet: int = 4) -> Markup:
    """An inline SVG of the QR code for ``url`` (one path of the dark runs, a quiet zone
    of ``quiet`` modules), scaled by CSS; ``label`` is its accessible name."""
    matrix = qr_matrix(url)
    size = len(matrix) + 2 * quiet
    path = "".join(
        f"M{column + quiet} {row + quiet}h{length}v1h-{length}z" for row, column, length in qr_runs(matrix)
    )
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="qr-code" viewBox="0 0 {size} {size}" '
        'role="img" aria-label="{label}" shape-rendering="crispEdges">'
        '<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    ).format(size=size, label=label, path=path)
