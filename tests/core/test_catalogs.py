"""Translation catalogs: complete, not fuzzy, up to date with the source, placeholders intact."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = sorted(path.name for path in (ROOT / "translations").iterdir() if path.is_dir())
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def read_catalog(locale: str):
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


def messages(catalog):
    return [message for message in catalog if message.id]


def test_vietnamese_and_english_are_there():
    assert {"vi", "en"} <= set(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_has_no_untranslated_or_fuzzy_entries(locale):
    catalog = read_catalog(locale)
    untranslated = [
        m.id for m in messages(catalog) if not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    fuzzy = [m.id for m in messages(catalog) if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_every_placeholder(locale):
    for message in messages(read_catalog(locale)):
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(source[-1]))
        for target in targets:
            assert set(PLACEHOLDER.findall(target)) <= expected | {"num"}, (locale, message.id)
            assert expected - {"num"} <= set(PLACEHOLDER.findall(target)), (locale, message.id)


def test_catalogs_cover_every_string_in_the_source(tmp_path):
    """Extract the strings afresh: a string added to the code but not to the
    catalogs would reach readers untranslated."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-o", str(pot), "--no-location", "lms"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with open(pot, "rb") as handle:
        source_ids = {message.id for message in read_po(handle) if message.id}
    for locale in LOCALES:
        catalog_ids = {message.id for message in messages(read_catalog(locale))}
        assert source_ids - catalog_ids == set(), f"{locale} lacks strings: run `make extract-messages`"
