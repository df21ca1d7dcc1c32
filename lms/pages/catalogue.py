"""The public catalogue: the list of courses, a course edition's page and a module's
page (its runs, materials and quiz). A page above the domains it shows: the catalogue,
enrollment, materials, quizzes and recordings."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from lms.catalogue import services
from lms.catalogue.services import can_manage_course
from lms.db import utcnow
from lms.enrollment.services import find_registration
from lms.materials.services import listing_for as material_listing
from lms.quizzes.models import QuizPurpose
from lms.quizzes.services import has_quiz
from lms.recordings.services import recordings_of_module

bp = Blueprint("catalogue", __name__)


@bp.get("/")
def catalogue():
    return render_template("pages/catalogue.html", courses=services.published_courses(), now=utcnow())


@bp.get("/courses/<slug>")
def course(slug: str):
    course = services.find_published_course(slug) or abort(404)
    registration = find_registration(current_user, course) if current_user.is_authenticated else None
    return render_template("pages/course.html", course=course, registration=registration, now=utcnow())


@bp.get("/courses/<slug>/modules/<key>")
def module(slug: str, key: str):
    course = services.find_published_course(slug) or abort(404)
    module = services.find_module(course, key) or abort(404)
    now = utcnow()
    materials = material_listing(current_user, course, module, now)
    return render_template(
        "pages/module.html",
        course=course,
        module=module,
        materials=materials,
        has_quiz=has_quiz(module),
        recordings=recordings_of_module(module, current_user, now),
        has_pretest=has_quiz(module, QuizPurpose.PRETEST),
        can_manage=can_manage_course(current_user, course.id),
        now=now,
    )


@bp.get("/privacy")
def privacy():
    return render_template("pages/privacy.html")
