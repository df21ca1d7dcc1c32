"""The kinds of email the platform sends, each with the function that builds it.

A domain package declares its kinds in a ``MAIL_KINDS`` mapping (kind → builder) and
``create_app`` registers them explicitly. Queueing an undeclared kind fails at once, in
the request that tried, not hours later in a worker.

A builder takes the payload recorded when the email was queued (ids and values) and
returns a :class:`Composition`: who it is for, the template context and attachments.
It runs in a job worker, inside the app, and may read the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Composition:
    """What a builder returns: the recipient (anything with ``email``, ``locale`` and
    ``full_name``), the context of ``mail/<kind>.txt`` and ``.html``, attachments."""

    recipient: Any
    context: dict = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


Builder = Callable[[dict], Composition]


class UnknownMailKind(LookupError):
    pass


class RecipientGone(LookupError):
    """The payload points at something no longer there (a deleted account): the email
    cannot be built and will not be retried."""


_builders: dict[str, Builder] = {}


def register_kinds(kinds: Mapping[str, Builder]) -> None:
    for kind, builder in kinds.items():
        if _builders.get(kind, builder) is not builder:
            raise ValueError(f"mail kind {kind!r} is declared twice")
        _builders[kind] = builder


def builder_for(kind: str) -> Builder:
    try:
        return _builders[kind]
    except KeyError:
        raise UnknownMailKind(f"no builder declared for mail kind {kind!r}") from None


def declared_kinds() -> list[str]:
    return sorted(_builders)
