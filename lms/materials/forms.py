"""Forms for trainers: a material's texts per language, its languages and visibility,
a file or a link; replacing the file; the small buttons (publish, move)."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from lms.i18n import language_name
from lms.materials.models import Material, MaterialKind, Visibility
from lms.materials.services import Details

VISIBILITY_CHOICES = [
    SelectChoice(Visibility.EVERYONE.value, _l("Everyone, including visitors who are not signed in")),
    SelectChoice(Visibility.REGISTERED.value, _l("Learners registered for this course")),
    SelectChoice(Visibility.AFTER_START.value, _l("Learners registered for this course, once the module's first session has started")),
]  # fmt: skip


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MaterialForm(FlaskForm):
    """Title and description fields per language are added by ``material_form``."""

    languages = CheckboxesField(
        _l("Language of the content"),
        description=_l("Tick every language the file or recording is in; tick both for a bilingual file."),
        validators=[DataRequired(_l("Please choose the language or languages the material is in."))],
    )
    visibility = RadioField(
        _l("Who may see it"), choices=VISIBILITY_CHOICES, default=Visibility.EVERYONE.value
    )
    url = StringField(
        _l("Web address"),
        description=_l("For example the recording of a session. It must start with https:// or http://."),
        validators=[DataRequired(_l("Please enter the web address.")), Length(max=1000)],
    )
    file = FileField(
        _l("File"),
        validators=[FileRequired(_l("Please choose a file to upload."))],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.languages.choices = [SelectChoice(code, language_name(code)) for code in self.locales]

    @property
    def locales(self) -> list[str]:
        return current_app.config["LANGUAGES"]

    def text_fields(self):
        """(locale, title field, description field) for each offered language."""
        return [(code, self[f"title_{code}"], self[f"description_{code}"]) for code in self.locales]

    def details(self) -> Details:
        return Details(
            title={code: title.data or "" for code, title, _ in self.text_fields()},
            description={code: description.data or "" for code, _, description in self.text_fields()},
            languages=list(self.languages.data or []),
            visibility=self.visibility.data,
            url=(self.url.data or "") if "url" in self else "",
        )


def material_form(kind: str, with_file: bool, material: Material | None = None) -> MaterialForm:
    """The form for a new or existing material of ``kind`` (a file field only when uploading)."""

    class Form(MaterialForm):
        pass

    for code in current_app.config["LANGUAGES"]:
        setattr(Form, f"title_{code}", StringField(_l("Title"), validators=[Length(max=200)]))
        setattr(
            Form,
            f"description_{code}",
            TextAreaField(
                _l("Description"),
                description=_l(
                    "Optional. Markdown: **bold**, *italic*, lists with -, links as [text](https://…)."
                ),
                validators=[Length(max=5000)],
            ),
        )
    if kind != MaterialKind.LINK:
        Form.url = None  # WTForms: None removes a field the base class declares
    if not with_file:
        Form.file = None
    data = None
    if material is not None:
        data = {"languages": list(material.languages), "visibility": material.visibility, "url": material.url}
        for code in current_app.config["LANGUAGES"]:
            data[f"title_{code}"] = material.title.get(code, "")
            data[f"description_{code}"] = material.description.get(code, "")
    return Form(data=data)


class ReplaceForm(FlaskForm):
    file = FileField(
        _l("New version of the file"),
        description=_l("Learners get the new version; the earlier ones stay listed below."),
        validators=[FileRequired(_l("Please choose a file to upload."))],
    )


class ActionForm(FlaskForm):
    """A bare form for buttons (publish, unpublish, move): its CSRF token is the point."""
