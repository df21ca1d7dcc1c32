"""Downloads for learners; the materials pages of trainers and organisers."""

from __future__ import annotations

import logging

from babel.lists import format_list
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.catalogue.models import Course, Module
from lms.catalogue.services import can_manage_course
from lms.db import utcnow
from lms.errors import render_error
from lms.extensions import db, login_manager
from lms.i18n import current_locale, language_name
from lms.materials import filetypes, services
from lms.materials.forms import ActionForm, ReplaceForm, material_form
from lms.materials.models import Material, MaterialKind, MaterialVersion, Visibility
from lms.materials.services import Access
from lms.materials.serving import stored_file_response
from lms.transactions import commit_change, writes

log = logging.getLogger(__name__)

bp = Blueprint("materials", __name__)

VERSION_AT_ONCE = _l("Someone else uploaded a version at the same moment. Please check the list below and try again.")  # fmt: skip


# -- helpers for templates ---------------------------------------------------------------


@bp.app_template_global()
def material_type(material: Material):
    return services.type_label(material)


@bp.app_template_global()
def file_size(size: int) -> str:
    return services.format_size(size)


@bp.app_template_global()
def material_languages(material: Material) -> str:
    """The languages of a material's content, named in the reader's language."""
    return format_list([language_name(code) for code in material.languages], locale=current_locale())


@bp.app_template_global()
def material_only_in(material: Material) -> str:
    """ "Vietnamese only" when the content is not in the reader's language, else ""."""
    if current_locale() in material.languages:
        return ""
    names = format_list([language_name(code) for code in material.languages], locale=current_locale())
    return _("%(language)s only", language=names)


@bp.app_template_global()
def opens_in_browser(version: MaterialVersion | None) -> bool:
    """PDFs and images are served inline: their title can open them in the browser."""
    file_type = filetypes.by_mimetype(version.content_type) if version else None
    return bool(file_type and file_type.inline)


@bp.app_template_global()
def visibility_label(visibility: str) -> str:
    return {
        Visibility.EVERYONE: _("Everyone"),
        Visibility.REGISTERED: _("Registered learners"),
        Visibility.AFTER_START: _("Registered learners, once the module has started"),
    }.get(visibility, visibility)


# -- learners ------------------------------------------------------------------------


def _allowed_material(material_id: int) -> tuple[Material, services.Viewer]:
    """The material if the current person may open it; otherwise the right refusal."""
    material = services.find_material(material_id) or abort(404)
    module = material.module
    viewer = services.viewer_for(current_user, module.course, module, utcnow(), materials=[material])
    decision = services.access(material, viewer)
    if decision == Access.ALLOWED:
        return material, viewer
    if decision == Access.SIGN_IN:
        abort(login_manager.unauthorized())
    if decision == Access.NOT_REGISTERED:
        abort(make_response(render_error(403, _("This material is for learners registered for the course. Register for the course to get it."))))  # fmt: skip
    if decision == Access.NOT_YET:
        abort(make_response(render_error(403, _("This material opens when the module's first session starts."))))  # fmt: skip
    abort(404)


@bp.get("/materials/<int:material_id>/download")
@writes  # counts the download
def download(material_id: int):
    material, viewer = _allowed_material(material_id)
    if not material.is_file or material.current_version is None:
        abort(404)
    # Trainers and organisers checking their own material do not inflate the count.
    return send_version(material, material.current_version, count=not viewer.staff)


@bp.get("/materials/<int:material_id>/link")
@writes  # counts the download
def open_link(material_id: int):
    material, viewer = _allowed_material(material_id)
    if not material.is_link or not material.url:
        abort(404)
    if request.method == "GET" and not viewer.staff:
        commit_change(lambda: services.count_download(material, None))
    return redirect(material.url)


def send_version(material: Material, version: MaterialVersion, count: bool = True):
    """Stream a stored file (lms.materials.serving), counting a new download."""
    response = stored_file_response(
        storage_key=version.storage_key, content_type=version.content_type, filename=version.filename,
        size=version.size, sha256=version.sha256, last_modified=version.uploaded_at,
    )  # fmt: skip
    if count and _is_new_download(version):
        commit_change(lambda: services.count_download(material, version))
    return response


def _is_new_download(version: MaterialVersion) -> bool:
    """A GET for the file from its start, not a revalidation or a later part of it."""
    if request.method != "GET" or request.if_none_match.contains(version.sha256):
        return False
    ranges = request.range
    return ranges is None or ranges.ranges[0][0] == 0


# -- trainers and organisers -------------------------------------------------------


def _course_module(slug: str, key: str) -> tuple[Course, Module]:
    """Drafts too: trainers prepare materials before a course is published."""
    module = db.session.scalar(
        select(Module)
        .join(Course)
        .where(Course.slug == slug, Module.key == key)
        .options(selectinload(Module.runs))
    )
    if module is None:
        abort(404)
    _require_manager(module.course)
    return module.course, module


def _require_manager(course: Course) -> None:
    if not can_manage_course(current_user, course.id):
        abort(403)


def _managed_material(material_id: int, with_versions: bool = False) -> Material:
    find = services.find_material_with_versions if with_versions else services.find_material
    material = find(material_id) or abort(404)
    _require_manager(material.module.course)
    return material


def _manage_url(material: Material) -> str:
    module = material.module
    return url_for("materials.manage", slug=module.course.slug, key=module.key) + f"#material-{material.id}"


@bp.get("/manage/courses/<slug>/modules/<key>/materials")
@login_required
def manage(slug: str, key: str):
    course, module = _course_module(slug, key)
    return render_template(
        "materials/manage.html",
        course=course,
        module=module,
        materials=services.manage_listing(module),
        action_form=ActionForm(),
    )


@bp.route(
    "/manage/courses/<slug>/modules/<key>/materials/new/<any(file, link):kind>", methods=["GET", "POST"]
)
@login_required
def new(slug: str, key: str, kind: str):
    course, module = _course_module(slug, key)
    form = material_form(kind, with_file=kind == MaterialKind.FILE)
    error = None
    if form.validate_on_submit():
        if kind == MaterialKind.FILE:
            upload = form.file.data
            outcome = commit_change(
                lambda: services.add_file(
                    module, current_user, form.details(), upload.filename, upload.stream
                )
            )
        else:
            outcome = commit_change(lambda: services.add_link(module, current_user, form.details()))
        error = outcome.error
        if outcome.ok:
            material = outcome.value
            flash(_("The material was added. Learners who may see it find it on the module page."), "success")
            return redirect(_manage_url(material))
    elif request.method == "POST":
        error = _("Please correct the marked fields; nothing was saved yet.")
    return render_template(
        "materials/new.html", course=course, module=module, form=form, kind=kind, error=error,
        accepted=_accepted_types(),
    )  # fmt: skip


def _accepted_types() -> dict:
    types = filetypes.allowed_types(current_app.config["MATERIALS_ALLOWED_TYPES"])
    return {
        "names": filetypes.describe(types),
        "accept": ",".join(f".{ext}" for t in types for ext in t.extensions),
        "limit": services.format_size(services.max_bytes()),
    }


@bp.route("/manage/materials/<int:material_id>", methods=["GET", "POST"])
@login_required
def edit(material_id: int):
    material = _managed_material(material_id, with_versions=True)
    form = material_form(
        material.kind, with_file=False, material=None if request.method == "POST" else material
    )
    error = None
    if form.validate_on_submit():
        outcome = commit_change(lambda: services.edit(material, current_user, form.details()))
        error = outcome.error
        if outcome.ok:
            if outcome.value:
                flash(_("Your changes are saved."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(_manage_url(material))
    elif request.method == "POST":
        error = _("Please correct the marked fields; nothing was saved yet.")
    return _edit_page(material, form, ReplaceForm(formdata=None), error=error)


def _edit_page(material, form, replace_form, error=None, replace_error=None):
    return render_template(
        "materials/edit.html",
        material=material,
        module=material.module,
        course=material.module.course,
        form=form,
        replace_form=replace_form,
        error=error,
        replace_error=replace_error,
        accepted=_accepted_types(),
    )


@bp.post("/manage/materials/<int:material_id>/versions")
@login_required
def replace(material_id: int):
    material = _managed_material(material_id, with_versions=True)
    replace_form = ReplaceForm()
    replace_error = None
    if replace_form.validate_on_submit():
        upload = replace_form.file.data
        outcome = commit_change(
            lambda: services.replace_file(material, current_user, upload.filename, upload.stream),
            refusals={IntegrityError: VERSION_AT_ONCE},  # another version was added at the same moment
        )
        replace_error = outcome.error
        if outcome.ok:
            flash(
                _("Version %(num)s is uploaded; learners now get it.", num=outcome.value.number),
                "success",
            )
            return redirect(url_for("materials.edit", material_id=material.id) + "#versions")
    else:
        replace_error = "; ".join(str(message) for message in replace_form.file.errors) or _(
            "The form was incomplete, so nothing was changed. Please try again."
        )
    material = _managed_material(material_id, with_versions=True)
    form = material_form(material.kind, with_file=False, material=material)
    return _edit_page(material, form, replace_form, replace_error=replace_error)


@bp.get("/manage/materials/<int:material_id>/versions/<int:number>")
@login_required
def download_version(material_id: int, number: int):
    material = _managed_material(material_id)
    version = services.find_version(material, number) or abort(404)
    return send_version(material, version, count=False)


def _button(material_id: int):
    material = _managed_material(material_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form was incomplete, so nothing was changed. Please try again."), "error")
        abort(redirect(_manage_url(material)))
    return material


@bp.post("/manage/materials/<int:material_id>/unpublish")
@login_required
def unpublish(material_id: int):
    material = _button(material_id)
    commit_change(lambda: services.set_published(material, current_user, False))
    flash(_("The material is unpublished: learners no longer see it. Nothing was deleted."), "success")
    return redirect(_manage_url(material))


@bp.post("/manage/materials/<int:material_id>/publish")
@login_required
def publish(material_id: int):
    material = _button(material_id)
    commit_change(lambda: services.set_published(material, current_user, True))
    flash(_("The material is published again."), "success")
    return redirect(_manage_url(material))


@bp.post("/manage/materials/<int:material_id>/move/<any(up, down):direction>")
@login_required
def move(material_id: int, direction: str):
    material = _button(material_id)
    commit_change(lambda: services.move(material, current_user, -1 if direction == "up" else 1))
    return redirect(_manage_url(material))


@bp.errorhandler(413)
def upload_too_large(error):
    """The request was larger than the server reads at all: say what the limit is."""
    return render_error(413, services.too_large_message())
