from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from lms.i18n import endonym


class ConsentButtonForm(FlaskForm):
    """The withdraw and give buttons: the CSRF token is the point."""


class AcceptForm(FlaskForm):
    """The re-acceptance page; the purposes are checkboxes named ``consent``."""


class PublishForm(FlaskForm):
    """The text of a new notice version, one Markdown field per language of the platform."""

    @classmethod
    def for_languages(cls, formdata=None) -> PublishForm:
        class Bound(cls):
            pass

        for locale in current_app.config["LANGUAGES"]:
            setattr(
                Bound,
                f"text_{locale}",
                TextAreaField(
                    _l("Notice in %(language)s (Markdown)", language=endonym(locale)),
                    render_kw={"rows": 18},
                ),
            )
        return Bound(formdata=formdata) if formdata is not None else Bound()

    def texts(self) -> dict[str, str]:
        return {locale: self[f"text_{locale}"].data or "" for locale in current_app.config["LANGUAGES"]}
