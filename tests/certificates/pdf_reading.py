"""Reading a certificate PDF back the way a scanner sees it."""

from __future__ import annotations

import io
from collections import Counter

from pypdf import PdfReader
from pypdf.generic import ContentStream


def qr_matrix_of_pdf(data: bytes) -> list[list[bool]]:
    """Rebuild the QR modules from the filled rectangles drawn on the first page: the
    QR is the only thing drawn from rectangles of one size (the module), in rows."""
    reader = PdfReader(io.BytesIO(data))
    rectangles = [
        tuple(float(value) for value in operands)
        for operands, operator in ContentStream(reader.pages[0].get_contents(), reader).operations
        if operator == b"re"
    ]
    module = Counter(round(height, 3) for *_, height in rectangles).most_common(1)[0][0]
    cells = [rectangle for rectangle in rectangles if round(rectangle[3], 3) == module]
    left = min(x for x, *_ in cells)
    top = max(y + height for _, y, _, height in cells)
    size = round((top - min(y for _, y, *_ in cells)) / module)
    drawn = [[False] * size for _ in range(size)]
    for x, y, width, height in cells:
        row = round((top - (y + height)) / module)
        first = round((x - left) / module)
        for column in range(first, first + round(width / module)):
            drawn[row][column] = True
    return drawn
