"""Before anything else, a learner accepts a newly published notice version.

Registered by ``create_app`` as a ``before_request`` hook. A signed-in learner who has
not accepted the notice in force for taking part is sent to the re-acceptance page from
every page except those a person must reach without agreeing: the page itself, signing
out, the notice, static files, and their data and deletion pages (Law 91/2025/QH15:
they may still download their data or ask for deletion).
"""

from __future__ import annotations

import time

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import event, select

from lms.accounts.models import Role
from lms.consent.models import PrivacyNotice
from lms.consent.services import needs_acceptance
from lms.extensions import db

# The signed session remembers that this sign-in (flask-login's "_user_id": the user and
# their session version) has been checked against this notice, so the gate costs no query
# on a learner's every request. Which notice is in force is remembered per process for
# NOTICE_RECHECK_SECONDS, and forgotten at once when this process writes a new version:
# another process's workers see a new version within that time.
MEMO = "consent_checked"
NOTICE_RECHECK_SECONDS = 30
_written = {"count": 0}  # notices written by this process (a new one voids the memory)

# Paths reachable without the current notice accepted (prefixes, each ending a segment).
OPEN_PATHS = (
    "/account/privacy-notice",
    "/account/logout",
    "/account/data",  # consents here; "Download my data" below it
    "/account/delete",
    "/privacy",
    "/static/",
    "/healthz",
)


def _open(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in OPEN_PATHS)


def must_accept(user) -> bool:
    """A learner who has not accepted the notice in force (staff are not stopped: the
    notice is about learners' data)."""
    return user.has_role(Role.LEARNER) and needs_acceptance(user)


@event.listens_for(PrivacyNotice, "after_insert")
def _forget_notice_in_force(mapper, connection, target) -> None:
    _written["count"] += 1


def notice_in_force_id() -> int | None:
    """The id of the notice in force, read at most every NOTICE_RECHECK_SECONDS."""
    memory = current_app.extensions.setdefault("consent.notice_in_force", {})
    now = time.monotonic()
    if memory.get("written") != _written["count"] or memory.get("until", 0.0) <= now:
        statement = select(PrivacyNotice.id).order_by(PrivacyNotice.version.desc()).limit(1)
        memory.update(
            id=db.session.scalar(statement), written=_written["count"], until=now + NOTICE_RECHECK_SECONDS
        )
    return memory["id"]


def remember_checked(sender, user, **extra) -> None:
    """After a sign-in (flask-login's user_logged_in signal, connected by create_app):
    a reader who need not accept anything is not asked again on their next requests."""
    notice_id = notice_in_force_id()
    if notice_id is not None and not must_accept(user):
        session[MEMO] = [session.get("_user_id"), notice_id]


def require_current_consent():
    # An address that matches no page answers 404 without asking who is signed in: that
    # answer must not need the database (the error pages work when it is down).
    if request.url_rule is None or _open(request.path):
        return None
    signed_in_as = session.get("_user_id")
    if signed_in_as is None:
        return None
    notice_id = notice_in_force_id()
    if notice_id is None or session.get(MEMO) == [signed_in_as, notice_id]:
        return None
    if not current_user.is_authenticated:
        return None
    if not must_accept(current_user):
        session[MEMO] = [signed_in_as, notice_id]
        return None
    target = request.full_path if request.method == "GET" else ""
    return redirect(url_for("consent.reaccept", next=target.rstrip("?") or None))
