"""The public catalogue: the list of courses, a course edition's page and a module's
page (its runs, materials and quiz). A page above the domains it shows: the catalogue,
enrollment, materials, quizzes and recordings.

Guests get these pages from the shared cache (lms.caching.guest_page) under a version
made of everything the page shows; ``*_version`` below compose it from each domain's
lean version query, without loading or rendering the page (guests see no recordings)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, render_template
from flask_login import current_user

from lms.caching.conditional import guest_page
from lms.caching.versions import digest, once_per_request
from lms.catalogue import services
from lms.catalogue.models import RegistrationState, registration_state_at
from lms.catalogue.services import can_manage_course
from lms.catalogue.shown import shown_edition
from lms.catalogue.versions import (
    EditionVersion,
    edition_version,
    guest_seats_version,
    module_text_version,
    published_editions_version,
)
from lms.consent.services import current_notice, find_notice
from lms.consent.shipped import shipped_texts
from lms.db import utcnow
from lms.enrollment.services import is_registered
from lms.i18n import format_countdown
from lms.materials.services import listing_for as material_listing
from lms.materials.versions import published_materials_version
from lms.quizzes.models import QuizPurpose
from lms.quizzes.services import module_quiz_purposes, quiz_purposes
from lms.recordings.services import recordings_of_module

bp = Blueprint("catalogue", __name__)


def time_wording(edition: EditionVersion, now: datetime) -> tuple:
    """What of the page's wording depends on the clock: registration's state and the
    time left to register (as the page words it), and how many runs took place."""
    state = registration_state_at(edition.opens_at, edition.closes_at, now)
    left = format_countdown(edition.closes_at - now) if state == RegistrationState.OPEN else ""
    return state.value, left, sum(1 for ends in edition.run_ends if ends <= now)


def catalogue_version(fresh: bool) -> str:
    now = utcnow()
    editions = once_per_request("catalogue", published_editions_version)
    return digest([(edition.key, time_wording(edition, now)) for edition in editions])


def course_version(slug: str, fresh: bool) -> str | None:
    edition = once_per_request(("edition", slug), lambda: edition_version(slug))
    if edition is None:
        return None
    return digest(
        edition.key, time_wording(edition, utcnow()), guest_seats_version(edition.course_id, fresh=fresh)
    )


def module_content_version(slug: str, key: str) -> tuple[EditionVersion, str] | None:
    """The edition's version and the module's own (texts, published materials, quiz)."""
    edition = edition_version(slug)
    module = edition and module_text_version(edition.course_id, key)
    if not module:
        return None
    module_id, texts = module
    quizzes = sorted(module_quiz_purposes(module_id))  # its quiz, its pre-test
    return edition, digest(texts, published_materials_version(module_id), quizzes)


def module_version(slug: str, key: str, fresh: bool) -> str | None:
    content = once_per_request(("module", slug, key), lambda: module_content_version(slug, key))
    if content is None:
        return None
    edition, module = content
    return digest(
        edition.key,
        module,
        time_wording(edition, utcnow()),
        guest_seats_version(edition.course_id, fresh=fresh),
    )


@bp.get("/")
@guest_page(catalogue_version)
def catalogue():
    return render_template("pages/catalogue.html", courses=services.published_courses(), now=utcnow())


@bp.get("/courses/<slug>")
@guest_page(course_version)
def course(slug: str):
    course = shown_edition(slug) or abort(404)
    registered = is_registered(current_user, course.id)  # the page asks nothing more of it
    return render_template("pages/course.html", course=course, registered=registered, now=utcnow())


@bp.get("/courses/<slug>/modules/<key>")
@guest_page(module_version)
def module(slug: str, key: str):
    module = services.find_published_module(slug, key) or abort(404)
    course = module.course
    now = utcnow()
    materials = material_listing(current_user, course, module, now)
    quizzes = quiz_purposes(module)
    return render_template(
        "pages/module.html",
        course=course,
        module=module,
        materials=materials,
        has_quiz=QuizPurpose.MODULE in quizzes,
        recordings=recordings_of_module(module, current_user, now),
        has_pretest=QuizPurpose.PRETEST in quizzes,
        can_manage=can_manage_course(current_user, course.id),
        now=now,
    )


@bp.get("/privacy")
def privacy():
    """The notice in force; before any is published, the one shipped with the platform."""
    notice = current_notice()
    return render_template(
        "pages/privacy.html", notice=notice, text=notice.text if notice else shipped_texts(), latest=True
    )


@bp.get("/privacy/<int:version>")
def privacy_version(version: int):
    """An earlier version, as learners who consented under it read it."""
    notice = find_notice(version) or abort(404)
    latest = current_notice()
    return render_template(
        "pages/privacy.html", notice=notice, text=notice.text, latest=latest.version == notice.version
    )
