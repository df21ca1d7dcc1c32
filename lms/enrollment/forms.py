from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from lms.db import parse_integer
from lms.enrollment.services import Pick
from lms.numbers import WholeNumberField


class RegistrationForm(FlaskForm):
    """The checkboxes; the run picks are radio groups named ``module-<id>``."""

    confirm_profile = BooleanField(
        _l("My details above are correct"),
        validators=[DataRequired(_l("Please check your details and confirm them."))],
    )
    # The consent checkboxes are named ``consent`` (one per purpose, none ticked):
    # templates/consent/_purposes.html.


def parse_picks(form_data) -> tuple[dict[int, Pick], dict[int, str]]:
    """Read ``module-<id> = run-<id> | wait-<id>`` pairs.

    Returns the picks and the raw values (to show the form again as it was sent).
    Anything malformed is ignored here and reported by the service as a missing pick.
    """
    picks, raw = {}, {}
    for name, value in form_data.items():
        if not name.startswith("module-"):
            continue
        module_id = parse_integer(name.removeprefix("module-"))
        kind, _, run = value.partition("-")
        run_id = parse_integer(run)
        if module_id is None or run_id is None or kind not in ("run", "wait"):
            continue
        picks[module_id] = Pick(run_id, wait_if_full=kind == "wait")
        raw[module_id] = value
    return picks, raw


class SwitchForm(FlaskForm):
    run_id = HiddenField(validators=[InputRequired()])


class ConfirmForm(FlaskForm):
    """A bare form: its CSRF token is the point."""


class CancelForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, cancel my registration and release my seats"),
        validators=[DataRequired(_l("Please tick the box to confirm the cancellation."))],
    )


class CapacityForm(FlaskForm):
    capacity = WholeNumberField(
        _l("Capacity"),
        invalid_value_message=_l("Please enter a number of seats from 0 upwards."),
        validators=[
            InputRequired(_l("Please enter a number of seats.")),
            NumberRange(min=0, max=100000, message=_l("Please enter a number of seats from 0 upwards.")),
        ],
    )
