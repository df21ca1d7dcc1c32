"""Signing in: the user loader, and guards for roles."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.extensions import db, login_manager

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please sign in to open this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit():
        return None
    # The roles in the same query: every signed-in page asks for them (the menu).
    user = db.session.get(User, int(user_id), options=[joinedload(User.roles)])
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
