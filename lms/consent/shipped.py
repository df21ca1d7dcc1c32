"""The privacy notice shipped with the platform (content/privacy/notice-v1.<locale>.md).

It becomes version 1 when an installation has no notice yet: loading content, the demo
and the migration that turned registrations' privacy ticks into consents publish it.
Its files must never change once an installation has published them (a published
version is never edited); a new text is published as a new version from /organise/privacy.
"""

from __future__ import annotations

from pathlib import Path

from lms.config import ROOT
from lms.consent.models import PrivacyNotice
from lms.consent.services import current_notice, publish_notice

FOLDER = ROOT / "content" / "privacy"


def shipped_texts(folder: Path = FOLDER) -> dict[str, str]:
    """Locale → Markdown of the shipped notice."""
    return {
        path.name.split(".")[-2]: path.read_text(encoding="utf-8").strip()
        for path in sorted(folder.glob("notice-v1.*.md"))
    }


def publish_shipped_notice() -> PrivacyNotice | None:
    """Publish the shipped notice as version 1 if none is published (None otherwise)."""
    if current_notice() is not None:
        return None
    return publish_notice(shipped_texts(), actor=None)
