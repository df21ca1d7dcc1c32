"""Organiser forms: an edition's settings, a module, a run, cancelling a run, copying
an edition. Text people type has one field per offered language (``title_vi``,
``title_en``...); dates and times are typed local to the course's zone."""

from __future__ import annotations

from datetime import datetime, time

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from lms.catalogue.models import CourseStatus
from lms.i18n import language_name
from lms.numbers import WholeNumberField
from lms.organise.editions import CourseDetails, ModuleDetails
from lms.organise.runs import RunDetails

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]  # browsers send seconds only when asked to


def day_field(label, required: bool = True, description=None) -> DateField:
    return DateField(
        label,
        description=description,
        invalid_value_message=_l("Please enter a real date, e.g. 2030-10-08."),
        validators=[InputRequired(_l("Please enter a date.")) if required else Optional()],
    )


def time_field(label, required: bool = True, description=None) -> TimeField:
    return TimeField(
        label,
        format=TIME_FORMATS,
        description=description,
        invalid_value_message=_l("Please enter a time of day, e.g. 09:00."),
        validators=[InputRequired(_l("Please enter a time.")) if required else Optional()],
    )


def whole_number(
    label, minimum: int, maximum: int, message, required: bool = True, **kwargs
) -> WholeNumberField:
    return WholeNumberField(
        label,
        invalid_value_message=message,
        validators=[
            InputRequired(message) if required else Optional(),
            NumberRange(minimum, maximum, message),
        ],
        **kwargs,
    )


class FilledInDefaultLanguage:
    """Required in the default language (Vietnamese) only; the others may stay empty."""

    def __init__(self, message) -> None:
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        if not (field.data or "").strip():
            field.errors[:] = []
            raise StopValidation(self.message)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def locales() -> list[str]:
    return current_app.config["LANGUAGES"]


class TranslatedForm(FlaskForm):
    """A form with fields per language, added by ``build`` for the configured languages."""

    translated: tuple[str, ...] = ()

    @classmethod
    def build(cls, **kwargs):
        class Form(cls):
            pass

        for code in locales():
            for name in cls.translated:
                setattr(Form, f"{name}_{code}", cls.language_field(name, code, code == locales()[0]))
        return Form(**kwargs)

    @classmethod
    def language_field(cls, name: str, code: str, is_default: bool):
        raise NotImplementedError

    def per_language(self) -> list[tuple[str, str, list]]:
        """(code, language name, [fields]) for each offered language, for the template."""
        return [
            (code, language_name(code), [self[f"{name}_{code}"] for name in self.translated])
            for code in locales()
        ]

    def texts(self, name: str) -> dict:
        return {code: (self[f"{name}_{code}"].data or "") for code in locales()}

    def lines(self, name: str) -> dict:
        return {code: (self[f"{name}_{code}"].data or "").splitlines() for code in locales()}

    def fill_texts(self, name: str, value: dict) -> None:
        for code in locales():
            self[f"{name}_{code}"].data = (value or {}).get(code, "")

    def fill_lines(self, name: str, value: dict) -> None:
        for code in locales():
            self[f"{name}_{code}"].data = "\n".join((value or {}).get(code, []))

    def add_error(self, field_name: str, message) -> bool:
        """Show a service's refusal next to its field; False when the form has no such field."""
        if field_name not in self:
            return False
        self[field_name].errors = [*self[field_name].errors, message]
        return True


def _local(day, at: time | None, default: time) -> datetime | None:
    return datetime.combine(day, at or default) if day is not None else None


# -- editions -------------------------------------------------------------------------

STATUS_CHOICES = [
    SelectChoice(CourseStatus.DRAFT.value, _l("Draft: only organisers see it")),
    SelectChoice(CourseStatus.PUBLISHED.value, _l("Published: in the catalogue, open for registration in its window")),
    SelectChoice(CourseStatus.ARCHIVED.value, _l("Archived: hidden from the catalogue")),
]  # fmt: skip


class CourseForm(TranslatedForm):
    translated = ("title", "summary", "audience", "organisers", "issuers")

    slug = StringField(
        _l("Address"),
        description=_l("Part of the edition's web address, e.g. eip-2025: lower-case letters, digits and hyphens. It cannot change once the edition is published."),
        validators=[InputRequired(_l("Please enter the address.")), Length(max=80)],
    )  # fmt: skip
    family = StringField(
        _l("Course family"),
        description=_l("Editions of the same course share it, e.g. eip. Empty: the same as the address."),
        validators=[Length(max=80)],
    )
    timezone = SelectField(
        _l("Time zone"),
        description=_l("Sessions and the registration window are typed and shown in this zone. Changing it does not move existing sessions."),
        validate_choice=False,  # the service refuses an unknown zone with its own message
    )  # fmt: skip
    opens_on = day_field(_l("Registration opens on"))
    opens_time = time_field(_l("at"))
    closes_on = day_field(_l("Registration closes on"))
    closes_time = time_field(_l("at"), description=_l("The closing minute still counts, e.g. 23:59."))
    change_cutoff_hours = whole_number(
        _l("Change cut-off (hours before a session)"),
        0,
        1440,
        _l("Please enter a number of hours from 0 to 1440."),
        description=_l("Learners may switch or cancel a session until this many hours before it starts."),
        default=24,
    )
    present_threshold = whole_number(
        _l("Present from (% attended)"),
        0,
        100,
        _l("Please enter a percentage from 0 to 100."),
        description=_l("Used when attendance is imported from video-call reports. A module counts as done when the learner was present or late in one of its runs and passed its quiz."),
        default=75,
    )  # fmt: skip
    late_threshold = whole_number(
        _l("Late from (% attended)"),
        0,
        100,
        _l("Please enter a percentage from 0 to 100."),
        description=_l("Below this share a learner counts as absent."),
        default=25,
    )
    status = RadioField(_l("Status"), choices=STATUS_CHOICES, default=CourseStatus.DRAFT.value)

    @classmethod
    def language_field(cls, name: str, code: str, is_default: bool):
        if name == "title":
            validators = [Length(max=200)]
            if is_default:
                validators.insert(0, FilledInDefaultLanguage(_l("Please enter the title in Vietnamese.")))
            return StringField(_l("Title"), validators=validators)
        if name == "summary":
            return TextAreaField(_l("Summary"), validators=[Length(max=5000)])
        if name == "audience":
            return TextAreaField(_l("Who it is for, one group per line"), validators=[Length(max=5000)])
        if name == "issuers":
            return TextAreaField(
                _l("Issuers named on the certificate, one organisation per line"),
                description=_l("The same organisations in the same order in every language. Empty: the organisers' text."),
                validators=[Length(max=2000)],
            )  # fmt: skip
        return TextAreaField(_l("Organisers and donors"), validators=[Length(max=2000)])

    def load(self, course) -> None:
        tz = course.zone
        opens = course.registration_opens_at.astimezone(tz)
        closes = course.registration_closes_at.astimezone(tz)
        for name in (
            "slug",
            "family",
            "timezone",
            "change_cutoff_hours",
            "present_threshold",
            "late_threshold",
            "status",
        ):
            self[name].data = getattr(course, name)
        self.opens_on.data, self.opens_time.data = opens.date(), opens.time().replace(tzinfo=None)
        self.closes_on.data, self.closes_time.data = closes.date(), closes.time().replace(tzinfo=None)
        for name in ("title", "summary", "organisers"):
            self.fill_texts(name, getattr(course, name))
        self.fill_lines("audience", course.audience)  # fmt: skip
        self.fill_lines("issuers", course.issuers)

    def details(self) -> CourseDetails:
        return CourseDetails(
            slug=self.slug.data or "",
            family=self.family.data or "",
            title=self.texts("title"),
            summary=self.texts("summary"),
            organisers=self.texts("organisers"),
            audience=self.lines("audience"),
            issuers=self.lines("issuers"),
            timezone=self.timezone.data or "",
            registration_opens=datetime.combine(self.opens_on.data, self.opens_time.data),
            registration_closes=datetime.combine(self.closes_on.data, self.closes_time.data),
            change_cutoff_hours=self.change_cutoff_hours.data,
            present_threshold=self.present_threshold.data,
            late_threshold=self.late_threshold.data,
            status=self.status.data,
        )


# -- modules -------------------------------------------------------------------------


class ModuleForm(TranslatedForm):
    translated = ("title", "outline", "objectives")

    key = StringField(
        _l("Short name"),
        description=_l("Part of the module's web address, e.g. eip-concepts: lower-case letters, digits and hyphens. It cannot change later."),
        validators=[Length(max=80)],
    )  # fmt: skip
    position = whole_number(
        _l("Position"),
        1,
        1000,
        _l("Please enter a position from 1 upwards."),
        description=_l("1 is the first module."),
    )
    duration_minutes = whole_number(
        _l("Duration of a session (minutes)"),
        1,
        1440,
        _l("Please enter a duration from 1 to 1440 minutes."),
        default=120,
    )

    @classmethod
    def language_field(cls, name: str, code: str, is_default: bool):
        if name == "title":
            validators = [Length(max=200)]
            if is_default:
                validators.insert(
                    0, FilledInDefaultLanguage(_l("Please enter the module's title in Vietnamese."))
                )
            return StringField(_l("Title"), validators=validators)
        if name == "outline":
            return TextAreaField(
                _l("Outline"),
                description=_l("Markdown: ## headings, **bold**, lists with -."),
                validators=[Length(max=20000)],
            )
        return TextAreaField(_l("Learning objectives, one per line"), validators=[Length(max=5000)])

    def load(self, module) -> None:
        self.key.data = module.key
        self.position.data = module.position
        self.duration_minutes.data = module.duration_minutes
        self.fill_texts("title", module.title)
        self.fill_texts("outline", module.outline)
        self.fill_lines("objectives", module.objectives)

    def details(self) -> ModuleDetails:
        return ModuleDetails(
            key=self.key.data or "",
            position=self.position.data,
            title=self.texts("title"),
            outline=self.texts("outline"),
            objectives=self.lines("objectives"),
            duration_minutes=self.duration_minutes.data,
        )


# -- runs --------------------------------------------------------------------------------


class RunForm(TranslatedForm):
    translated = ("label",)

    starts_on = day_field(_l("Date"))
    starts_time = time_field(_l("Starts at"))
    ends_time = time_field(
        _l("Ends at"), required=False, description=_l("On the same day. Empty: the duration below.")
    )
    duration_minutes = whole_number(
        _l("Or duration (minutes)"),
        1,
        1440,
        _l("Please enter a duration from 1 to 1440 minutes."),
        required=False,
        description=_l("Empty: the module's duration."),
    )
    capacity = whole_number(
        _l("Capacity (seats)"),
        0,
        100000,
        _l("Please enter a number of seats from 0 upwards."),
        description=_l("Raising it gives the new seats to the waiting list at once."),
    )
    join_url = StringField(
        _l("Join link"),
        description=_l("The video-call address, starting with https://. Learners with a seat see it 30 minutes before the start."),
        validators=[Length(max=500)],
    )  # fmt: skip
    trainers = CheckboxesField(_l("Trainers"), coerce=int, validate_choice=False)

    @classmethod
    def language_field(cls, name: str, code: str, is_default: bool):
        return StringField(_l("Label"), description=_l("e.g. Run A (morning)"), validators=[Length(max=120)])

    def set_trainers(self, people) -> None:
        self.trainers.choices = [SelectChoice(person.id, person.full_name) for person in people]

    def load(self, run) -> None:
        tz = run.module.course.zone
        starts = run.starts_at.astimezone(tz)
        ends = run.ends_at.astimezone(tz)
        self.starts_on.data, self.starts_time.data = starts.date(), starts.time().replace(tzinfo=None)
        if ends.date() == starts.date():
            self.ends_time.data = ends.time().replace(tzinfo=None)
        else:
            self.duration_minutes.data = int((run.ends_at - run.starts_at).total_seconds() // 60)
        self.capacity.data = run.capacity
        self.join_url.data = run.join_url
        self.trainers.data = [trainer.id for trainer in run.trainers]
        self.fill_texts("label", run.label)

    def details(self) -> RunDetails:
        return RunDetails(
            label=self.texts("label"),
            starts=datetime.combine(self.starts_on.data, self.starts_time.data),
            ends_time=self.ends_time.data,
            duration_minutes=self.duration_minutes.data,
            capacity=self.capacity.data,
            join_url=self.join_url.data or "",
            trainer_ids=tuple(self.trainers.data or ()),
        )


class CancelRunForm(TranslatedForm):
    translated = ("reason",)

    confirm = BooleanField(
        _l("Yes, cancel this run, release its seats and email its learners"),
        validators=[DataRequired(_l("Please tick the box to confirm the cancellation."))],
    )

    @classmethod
    def language_field(cls, name: str, code: str, is_default: bool):
        validators = [Length(max=2000)]
        if is_default:
            validators.insert(0, FilledInDefaultLanguage(_l("Please tell the learners in Vietnamese why the run is cancelled.")))  # fmt: skip
        return TextAreaField(_l("Reason, as the learners will read it"), validators=validators)


# -- copying an edition -------------------------------------------------------------


class CopyForm(TranslatedForm):
    translated = ("title",)

    slug = StringField(
        _l("Address of the new edition"),
        description=_l("e.g. eip-2026: lower-case letters, digits and hyphens."),
        validators=[InputRequired(_l("Please enter the address.")), Length(max=80)],
    )
    starts_on = day_field(_l("First day of the new edition"))
    opens_on = day_field(_l("Registration opens on"), required=False)
    opens_time = time_field(_l("at"), required=False)
    closes_on = day_field(_l("Registration closes on"), required=False)
    closes_time = time_field(_l("at"), required=False)

    @classmethod
    def language_field(cls, name: str, code: str, is_default: bool):
        return StringField(
            _l("Title"),
            description=_l("Empty: the current title. A new title needs Vietnamese."),
            validators=[Length(max=200)],
        )

    def registration_opens(self) -> datetime | None:
        return _local(self.opens_on.data, self.opens_time.data, time(0, 0))

    def registration_closes(self) -> datetime | None:
        return _local(self.closes_on.data, self.closes_time.data, time(23, 59, 59))


class ActionForm(FlaskForm):
    """A bare form for buttons (move up, move down): its CSRF token is the point."""
