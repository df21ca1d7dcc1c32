"""Signing in: the user loader, and guards for roles."""

from __future__ import annotations

from functools import lru_cache, wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.extensions import db, login_manager

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please sign in to open this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@lru_cache(maxsize=1)
def _user_statement():
    """Built once per process: every signed-in request runs it, and building it (with its
    options) cost as much as running it. The roles come in the same query: every signed-in
    page asks for them (the menu)."""
    return select(User).where(User.id == bindparam("user_id")).options(joinedload(User.roles))


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit():
        return None
    # Already loaded in this request (e.g. a feed's owner), as Session.get would find it.
    user = db.session.identity_map.get(db.session.identity_key(User, int(user_id)))
    if user is None:
        user = db.session.execute(_user_statement(), {"user_id": int(user_id)}).unique().scalar_one_or_none()
    if user is None or str(user.session_version) != version:
        return None
    return user


def role_required(*roles: str):
    """Allow the view to users holding any of ``roles``; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
