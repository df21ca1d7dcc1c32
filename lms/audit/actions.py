"""Every action the audit log records, declared once: its name (``object.verb``), its
label in every language and the labels of its detail fields.

Each package declares the actions it records, next to the services that record them;
``record`` refuses an action or a detail field nobody declared, so the audit page can
say every event in words in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Shown(StrEnum):
    """How the audit page shows a detail's value."""

    PLAIN = "plain"  # as stored
    NUMBER = "number"
    TEXT = "text"  # text per language ({"vi": ..., "en": ...}) or plain text
    LIST = "list"  # several values, comma-separated
    USER = "user"  # a user id: shown as the person's name
    MODULE = "module"  # a module id: its title
    RUN = "run"  # a run id: its module and label
    TIMES = "times"  # [start, end] as ISO strings: shown in the reader's zone
    TIME = "time"  # one ISO string


@dataclass(frozen=True)
class Detail:
    label: object  # a lazy translatable string
    shown: Shown = Shown.PLAIN


@dataclass(frozen=True)
class Action:
    name: str
    label: object  # a lazy translatable string
    details: dict[str, Detail] = field(default_factory=dict)


class UndeclaredAction(LookupError):
    pass


_actions: dict[str, Action] = {}


def declare_action(name: str, label, **details: Detail) -> str:
    """Declare an action (once); returns its name, for ``record``."""
    action = Action(name, label, dict(details))
    known = _actions.get(name)
    if known is not None and (known.label, known.details) != (action.label, action.details):
        raise ValueError(f"audit action {name!r} is declared twice, differently")
    _actions[name] = action
    return name


def action_named(name: str) -> Action:
    try:
        return _actions[name]
    except KeyError:
        raise UndeclaredAction(f"audit action {name!r} is not declared (lms.audit.actions)") from None


def declared_actions() -> dict[str, Action]:
    return dict(_actions)


def check_details(action: Action, details: dict) -> None:
    unknown = set(details) - set(action.details)
    if unknown:
        raise UndeclaredAction(f"audit action {action.name!r} has no detail field {sorted(unknown)}")
