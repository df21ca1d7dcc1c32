"""Fill the English catalog from the source strings.

Source strings are English, so the ``en`` catalog's translation of each message is
the message itself. Keeping the catalog complete (instead of relying on gettext's
fall-through) lets the catalog test treat every language the same way.
Usage: python scripts/fill_source_catalog.py translations/en/LC_MESSAGES/messages.po
"""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po


def fill(path: str) -> int:
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale="en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = message.id
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
    return filled


if __name__ == "__main__":
    for po_path in sys.argv[1:]:
        print(f"{po_path}: filled {fill(po_path)} message(s)")
