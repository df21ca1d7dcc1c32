"""Whole numbers from addresses and forms: only ASCII digits, only what an INTEGER
column holds (``lms.db.parse_integer``).

- ``IntegerConverter`` replaces Flask's ``int`` converter for the whole app
  (``create_app``), so every ``<int:...>`` in an address is checked before any view
  runs: an id no column can hold (2**63 overflowed SQLite's driver with a 500) or
  written in other scripts' digits ("٣" matched ``\\d``) does not match the rule, and
  the address answers 404.
- ``WholeNumberField`` is WTForms' ``IntegerField`` with the same rule: a number with
  thousands of digits (``int`` refuses more than 4,300) or outside INTEGER's range is
  a form error next to the field, never an exception.
- ``FiniteDecimalField`` is WTForms' ``DecimalField`` for ASCII numerals only, without
  NaN and infinities: ``NumberRange`` raised a plain ValueError (a 500) on "sNaN", and
  ``Decimal`` takes "١٢" for 12.
"""

from __future__ import annotations

import builtins
from typing import Any

from werkzeug.routing import IntegerConverter as WerkzeugIntegerConverter
from werkzeug.routing import Map, ValidationError
from wtforms import DecimalField, IntegerField

from lms.db import MAX_INTEGER, MIN_INTEGER, parse_integer


def digits_up_to(limit: int) -> str:
    """A regular expression for the ASCII numerals from 0 to ``limit`` (leading zeros
    allowed), e.g. ``0*(?:[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-4]|255)`` for 255."""
    digits = str(limit)

    def any_digits(count: int) -> str:
        return "[0-9]" * count if count < 2 else f"[0-9]{{{count}}}"

    choices = ["[0-9]"] if len(digits) > 1 else []  # the shorter numbers
    if len(digits) > 2:
        longest = len(digits) - 2
        choices.append("[1-9][0-9]" + ("" if longest == 1 else f"{{1,{longest}}}"))
    for position, digit in enumerate(digits):  # as long as the limit: a smaller digit here
        lowest = 1 if position == 0 and len(digits) > 1 else 0
        if int(digit) > lowest:
            below = f"[{lowest}-{int(digit) - 1}]" if int(digit) - 1 > lowest else str(lowest)
            choices.append(digits[:position] + below + any_digits(len(digits) - position - 1))
    choices.append(digits)
    return "0*(?:" + "|".join(choices) + ")"


class IntegerConverter(WerkzeugIntegerConverter):
    """``<int:name>``: ASCII digits within INTEGER's range; anything else is no match.

    The range is in the regular expression, not only in ``to_python``: Werkzeug checks a
    rule's methods before converting, so a POST to an address that also has a GET rule
    (``/attempts/<int:attempt_id>``) answered 405 instead of 404 when only the
    conversion refused the number."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        lowest = MIN_INTEGER if signed else 0
        super().__init__(
            map,
            fixed_digits,
            lowest if min is None else builtins.max(min, lowest),
            MAX_INTEGER if max is None else builtins.min(max, MAX_INTEGER),
            signed,
        )
        # \d would also match other scripts' digits; a minus sign only when signed.
        self.regex = ("-?" if signed else "") + digits_up_to(builtins.max(self.max, -self.min))

    def to_python(self, value: str) -> Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        number = parse_integer(value, signed=self.signed)
        if number is None or not (self.min <= number <= self.max):
            raise ValidationError()
        return number


class WholeNumberField(IntegerField):
    """An ``IntegerField`` that refuses what ``parse_integer`` refuses (surrounding
    spaces and a minus sign are fine), before converting anything."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = parse_integer(str(valuelist[0]).strip(), signed=True)
        if self.data is None:
            raise ValueError(self.invalid_value_message or self.gettext("Not a valid integer value."))


class FiniteDecimalField(DecimalField):
    """A ``DecimalField`` that refuses other scripts' digits, "NaN", "sNaN" and
    "Infinity" as invalid input."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not (str(valuelist[0]).isascii() and self.data.is_finite()):
            self.data = None
            raise ValueError(self.invalid_value_message or self.gettext("Not a valid decimal value."))
