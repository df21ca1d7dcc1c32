"""Where each domain says what personal data it holds about a person, and how to hand
it over or remove it (Law 91/2025/QH15: the rights to see one's data and to have it
deleted or de-identified).

A domain package declares a ``PERSONAL_DATA`` tuple of :class:`PersonalData` and
``create_app`` registers them explicitly, like the kinds of email. The privacy features
(the learner's data download, de-identification on request or at the end of the
retention period) only ever go through this registry, so a new table holding personal
data is covered the day its domain declares it, and forgetting to is visible in one
place (the privacy tests scan every table).

- ``export(user_id)`` returns JSON-able records about the person (a list of dicts),
  read in the caller's session; it never changes anything.
- ``erase(user_id)`` de-identifies the person's data in the caller's session without
  committing: names, emails and free texts they wrote are removed or replaced, while
  rows that aggregates count (registrations, attendance, quiz scores) stay, so the
  dashboard's totals do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PersonalData:
    key: str  # stable name of the records in the data download, e.g. "registrations"
    label: Any  # a lazy translated string naming them for the learner
    export: Callable[[int], list[dict]]
    erase: Callable[[int], None]


_declared: dict[str, PersonalData] = {}


def register_personal_data(declarations: Iterable[PersonalData]) -> None:
    for declaration in declarations:
        if _declared.get(declaration.key, declaration) is not declaration:
            raise ValueError(f"personal data {declaration.key!r} is declared twice")
        _declared[declaration.key] = declaration


def declared_personal_data() -> list[PersonalData]:
    """Every declaration, in the order of their keys (stable in the download)."""
    return [_declared[key] for key in sorted(_declared)]
