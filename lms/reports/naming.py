"""How reports name things: profile codes as labels, modules by their number."""

from __future__ import annotations

from flask_babel import gettext as _

from lms.catalogue.models import Module


def labels(choices) -> dict[str, str]:
    """A code → label table, translated once per export rather than once per row."""
    return {code: str(label) for code, label in dict(choices).items()}


def module_name(module: Module) -> str:
    return _("Module %(num)s", num=module.position)
