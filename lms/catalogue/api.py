"""Public read-only JSON for partner sites that show the schedule."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, url_for

from lms.caching.conditional import conditional
from lms.caching.versions import digest
from lms.catalogue import services
from lms.catalogue.models import Course, Module, Run, registration_state_at
from lms.catalogue.versions import edition_version, live_seats_version
from lms.db import utcnow

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def course_document_version(slug: str) -> str | None:
    """What the document shows: the edition, its seats now and registration's state."""
    edition = edition_version(slug)
    if edition is None:
        return None
    state = registration_state_at(edition.opens_at, edition.closes_at, utcnow())
    return digest(edition.key, live_seats_version(edition.course_id), state.value)


@bp.get("/courses/<slug>")
@conditional(course_document_version, cache_control="public, max-age=300")
def course(slug: str):
    course = services.find_published_course(slug) or abort(404)
    response = jsonify(course_document(course))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def course_document(course: Course) -> dict:
    zone = course.zone
    return {
        "slug": course.slug,
        "family": course.family,
        "title": course.title,
        "summary": course.summary,
        "organisers": course.organisers,
        "timezone": course.timezone,
        "url": url_for("catalogue.course", slug=course.slug, _external=True),
        "registration": {
            "opens_at": course.registration_opens_at.astimezone(zone).isoformat(timespec="seconds"),
            # to the second: a closing minute is stored to its last microsecond (23:59:59.999999)
            "closes_at": course.registration_closes_at.astimezone(zone).isoformat(timespec="seconds"),
            "state": course.registration_state(utcnow()).value,
        },
        "modules": [module_document(module, zone) for module in course.modules],
    }


def module_document(module: Module, zone) -> dict:
    return {
        "key": module.key,
        "position": module.position,
        "title": module.title,
        "duration_minutes": module.duration_minutes,
        "runs": [run_document(run, zone) for run in module.runs],
    }


def run_document(run: Run, zone) -> dict:
    return {
        "key": run.key,
        "label": run.label,
        "starts_at": run.starts_at.astimezone(zone).isoformat(),
        "ends_at": run.ends_at.astimezone(zone).isoformat(),
        "status": run.status,
        "capacity": run.capacity,
        "seats_left": run.seats_left,
        "trainers": [trainer.full_name for trainer in run.trainers],
    }
