from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from lms.accounts.choices import GENDERS, ORGANISATION_TYPES, PROVINCES, TIMEZONES
from lms.i18n import endonym


def options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def language_choices() -> list[SelectChoice]:
    return options((code, endonym(code)) for code in current_app.config["LANGUAGES"])


class MinimumPasswordLength:
    """The minimum is a setting, so it is read when the form is validated."""

    def __call__(self, form, field) -> None:
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if len(field.data or "") < minimum:
            raise ValidationError(_l("Use at least %(count)s characters.", count=minimum))


def _email_field():
    return EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Email(_l("This does not look like an email address."), check_deliverability=False),
            Length(max=254),
        ],
    )


class ProfileFields(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        description=_l("As it should appear on your certificate, with diacritics."),
        validators=[DataRequired(_l("Please enter your full name.")), Length(max=200)],
    )
    organisation = StringField(
        _l("Organisation"), validators=[DataRequired(_l("Please enter your organisation.")), Length(max=200)]
    )
    organisation_type = SelectField(_l("Type of organisation"), choices=options(ORGANISATION_TYPES))
    job_title = StringField(_l("Job title"), validators=[Length(max=200)])
    province = SelectField(_l("Province or city"), choices=options(PROVINCES))
    gender = SelectField(_l("Gender"), choices=options(GENDERS), default="undisclosed")
    locale = SelectField(_l("Preferred language"))
    timezone = SelectField(
        _l("Time zone"),
        description=_l("Session times are also shown in this zone when it differs from the course's."),
        choices=options(TIMEZONES),
        default="Asia/Ho_Chi_Minh",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices()

    def profile_data(self) -> dict:
        return {name: self[name].data.strip() for name in PROFILE_FIELDS}


PROFILE_FIELDS = (
    "full_name",
    "organisation",
    "organisation_type",
    "job_title",
    "province",
    "gender",
    "locale",
    "timezone",
)


class SignupForm(ProfileFields):
    email = _email_field()
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please choose a password.")), MinimumPasswordLength()]
    )
    confirm = PasswordField(
        _l("Repeat password"), validators=[EqualTo("password", _l("The two passwords do not match."))]
    )
    # The consent checkboxes (one per purpose, none ticked) are the consent package's:
    # the sign-up sends lms.signals.account_created with the form data, and it records them.


class ProfileForm(ProfileFields):
    pass


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Please enter your password."))])
    remember = BooleanField(_l("Keep me signed in on this device"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Please enter your current password."))]
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please choose a password.")), MinimumPasswordLength()],
    )
    confirm = PasswordField(
        _l("Repeat new password"), validators=[EqualTo("password", _l("The two passwords do not match."))]
    )


class ResetRequestForm(FlaskForm):
    email = _email_field()


class ResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Please choose a password.")), MinimumPasswordLength()],
    )
    confirm = PasswordField(
        _l("Repeat new password"), validators=[EqualTo("password", _l("The two passwords do not match."))]
    )
