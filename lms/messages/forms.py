"""The compose form (subject and message per offered language, the audience rule, when
to send) and the learner's choice about optional messages."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from lms.deadlines import wall_clock_to_utc
from lms.errors import FieldError
from lms.i18n import language_name, tr_text
from lms.messages.audiences import AUDIENCES
from lms.messages.scopes import EDITION, Allowed, scope_key

NOW, LATER = "now", "later"


class ComposeForm(FlaskForm):
    scope = SelectField(_l("To the learners of"), validate_choice=False)
    audience = RadioField(
        _l("Who among them"), validate_choice=False, default="everyone",
        description=_l("Everyone: for the whole edition, every registered learner; for a module or a run, everyone holding a seat or waiting there. Attendance counts the best mark in a module (present or late is attended); complete and certified follow the certificate rules."),
    )  # fmt: skip
    about_seats = BooleanField(
        _l("This concerns their seats"),
        description=_l("Tick it when the message is about the learners' own sessions (a changed time or link, a cancelled session): it then also reaches those who turned optional messages off. Messages to people holding a seat or waiting are always about their seats."),
    )  # fmt: skip
    when = RadioField(
        _l("When"), choices=[SelectChoice(NOW, _l("Send now")), SelectChoice(LATER, _l("Send at a chosen time"))], default=NOW,
        validate_choice=False,
    )  # fmt: skip
    send_on = DateField(
        _l("Day"),
        validators=[Optional()],
        invalid_value_message=_l("Please enter a real date, e.g. 2030-10-08."),
    )
    send_time = TimeField(
        _l("Time"), format=["%H:%M", "%H:%M:%S"], validators=[Optional()],
        invalid_value_message=_l("Please enter a time of day, e.g. 09:00."),
    )  # fmt: skip

    @classmethod
    def build(cls, course, allowed: Allowed, **kwargs):
        class Form(cls):
            pass

        for code in current_app.config["LANGUAGES"]:
            setattr(Form, f"subject_{code}", StringField(_l("Subject"), validators=[Length(max=200)]))
            setattr(Form, f"body_{code}", TextAreaField(_l("Message (Markdown)"), validators=[Length(max=20000)],
                                                       render_kw={"rows": 10}))  # fmt: skip
        form = Form(**kwargs)
        form.scope.choices = scope_choices(course, allowed)
        form.audience.choices = [SelectChoice(name, chosen.label) for name, chosen in AUDIENCES.items()]
        return form

    def per_language(self) -> list[tuple[str, str, list]]:
        return [
            (code, language_name(code), [self[f"subject_{code}"], self[f"body_{code}"]])
            for code in current_app.config["LANGUAGES"]
        ]

    def texts(self, name: str) -> dict[str, str]:
        return {
            code: " ".join((self[f"{name}_{code}"].data or "").split()) if name == "subject"
            else (self[f"{name}_{code}"].data or "")
            for code in current_app.config["LANGUAGES"]
        }  # fmt: skip

    def send_at(self, tz) -> datetime | None:
        """None to send now; the chosen time in UTC; a FieldError when it is missing or
        does not exist on the course's clock."""
        if self.when.data != LATER:
            return None
        if self.send_on.data is None or self.send_time.data is None:
            raise FieldError(
                "send_on", _l("Please choose the day and time to send it, in the course's time zone.")
            )
        local = datetime.combine(self.send_on.data, self.send_time.data)
        converted = wall_clock_to_utc(local, tz)
        if converted is None:
            raise FieldError("send_on", _l("This time does not exist in the course's time zone on that day, because the clocks change. Please choose another time."))  # fmt: skip
        return converted

    def load(self, message, tz) -> None:
        """Fill the form from a saved draft."""
        self.scope.data = scope_key(message.module_id, message.run_id)
        self.audience.data = message.audience
        self.about_seats.data = message.about_seats
        for code in current_app.config["LANGUAGES"]:
            self[f"subject_{code}"].data = message.subject.get(code, "")
            self[f"body_{code}"].data = message.body.get(code, "")
        if message.send_at is not None:
            local = message.send_at.astimezone(tz)
            self.when.data, self.send_on.data, self.send_time.data = (
                LATER,
                local.date(),
                local.time().replace(tzinfo=None),
            )

    def add_error(self, field_name: str, message) -> bool:
        if field_name not in self:
            return False
        self[field_name].errors = [*self[field_name].errors, message]
        return True


def scope_choices(course, allowed: Allowed) -> list[SelectChoice]:
    choices = [SelectChoice(EDITION, tr_text(course.title))] if allowed.edition else []
    for module in course.modules:
        if module.id in allowed.module_ids:
            choices.append(
                SelectChoice(scope_key(module.id, None), f"{module.position}. {tr_text(module.title)}")
            )
        for run in module.runs:
            if run.id in allowed.run_ids:
                label = tr_text(run.label) or run.key
                choices.append(
                    (scope_key(module.id, run.id), f"{module.position}. {tr_text(module.title)} · {label}")
                )
    return choices


class ActionForm(FlaskForm):
    """Carries the CSRF token of a button (cancelling a scheduled message)."""


class PreferenceForm(FlaskForm):
    optional = RadioField(
        _l("Which messages do you want?"),
        choices=[
            SelectChoice("on", _l("All messages from the organisers and trainers")),
            SelectChoice("off", _l("Only messages about my own seats and waiting places")),
        ],
        validators=[InputRequired(_l("Please choose one."))],
    )
