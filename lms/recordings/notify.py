"""The email to learners who missed a session: its recording is up."""

from __future__ import annotations

from lms.accounts.notify import recipient_of
from lms.extensions import db
from lms.i18n import current_locale, format_date, tr_text
from lms.mail.kinds import Composition, RecipientGone
from lms.recordings.models import Recording
from lms.urls import external_url


def build_recording_added(payload: dict) -> Composition:
    recording = db.session.get(Recording, payload["recording_id"])
    if recording is None:
        raise RecipientGone(f"recording {payload['recording_id']} no longer exists")
    module = recording.run.module
    course = module.course
    return Composition(
        recipient=recipient_of(payload),
        context={
            "module_title": tr_text(module.title, current_locale()),
            "position": module.position,
            "expires_on": format_date(recording.expires_at, course.zone),
            "module_url": external_url("catalogue.module", slug=course.slug, key=module.key),
        },
    )


MAIL_KINDS = {"recording_added": build_recording_added}
