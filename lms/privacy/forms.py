from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, Length

from lms.privacy.services import MAX_REASON


class ActionForm(FlaskForm):
    """Carries the CSRF token of a button."""


class DeletionForm(FlaskForm):
    reason = TextAreaField(_l("Why (optional)"), validators=[Length(max=MAX_REASON)])
    password = PasswordField(_l("Your password, to confirm"), validators=[DataRequired()])


class KeepAccountForm(FlaskForm):
    keep_account = BooleanField(_l("Keep my account after the retention period"))
