"""Before anything else, a learner accepts a newly published notice version.

Registered by ``create_app`` as a ``before_request`` hook. A signed-in learner who has
not accepted the notice in force for taking part is sent to the re-acceptance page from
every page except those a person must reach without agreeing: the page itself, signing
out, the notice, static files, and their data and deletion pages (Law 91/2025/QH15:
they may still download their data or ask for deletion).
"""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_login import current_user

from lms.accounts.models import Role
from lms.consent.services import needs_acceptance

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


def require_current_consent():
    if _open(request.path) or not current_user.is_authenticated or not must_accept(current_user):
        return None
    target = request.full_path if request.method == "GET" else ""
    return redirect(url_for("consent.reaccept", next=target.rstrip("?") or None))
