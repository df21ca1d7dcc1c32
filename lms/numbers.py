"""Whole numbers from forms: only ASCII digits, only what an INTEGER column holds
(``lms.db.parse_integer``).

- ``WholeNumberField`` is WTForms' ``IntegerField`` with that rule: a number with
  thousands of digits (``int`` refuses more than 4,300) or outside INTEGER's range is
  a form error next to the field, never an exception.
- ``FiniteDecimalField`` is WTForms' ``DecimalField`` for ASCII numerals only, without
  NaN and infinities: ``NumberRange`` raised a plain ValueError (a 500) on "sNaN", and
  ``Decimal`` takes "١٢" for 12.
"""

from __future__ import annotations

from wtforms import DecimalField, IntegerField

from lms.db import parse_integer


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
