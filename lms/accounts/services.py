"""Account rules: creating people, signing in, profiles, passwords and roles.

Functions flush, never commit: the route (or CLI command) that called them commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from lms.accounts import notify
from lms.accounts.models import PasswordResetToken, Role, User, UserRole
from lms.audit.actions import Detail, declare_action
from lms.audit.models import record
from lms.db import utcnow, write_intent_now
from lms.errors import ServiceError
from lms.extensions import db
from lms.transactions import begin_writing
from lms.urls import external_url

# The audit log's actions recorded here (lms.audit.actions).
ROLE_GRANTED = declare_action(
    "user.role_granted",
    _l("Granted a role"),
    role=Detail(_l("Role")),
)


# argon2id with the minimum parameters of OWASP's Password Storage Cheat Sheet (19 MiB,
# 2 passes, 1 lane) rather than argon2-cffi's default (64 MiB, 3 passes, 4 lanes): about a
# fifth of the CPU per sign-in, so an evening's rush of sign-ins does not hold the cores.
# Hashes made with other parameters are upgraded at the next successful sign-in.
PASSWORD_HASH_PARAMETERS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
_hasher = PasswordHasher(**PASSWORD_HASH_PARAMETERS)
# Verified against when the email is unknown, so a wrong email costs as long as a
# wrong password and the timing does not reveal who has an account.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(user: User | None, password: str) -> bool:
    return _hash_matches(user.password_hash if user else None, password)


def _hash_matches(stored: str | None, password: str) -> bool:
    """Checks against a dummy hash when there is none, so every answer costs the same."""
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str,
    full_name: str,
    password: str | None = None,
    roles: tuple[str, ...] = (Role.LEARNER,),
    **profile,
) -> User:
    """Create an account; ``password=None`` makes one that must be set by reset."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise ServiceError(_l("An account with this email already exists. Sign in, or reset your password."))
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=hash_password(password) if password else None,
        calendar_token=secrets.token_urlsafe(32),
        **profile,
    )
    user.roles = [UserRole(role=str(role)) for role in roles]
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (for any reason).

    The deliberately slow hash check never runs while this transaction holds SQLite's
    write lock: in a read transaction (the sign-in view reads first) the user stays
    loaded and ``begin_writing`` takes the lock for the sign-in's own writes afterwards;
    a transaction begun IMMEDIATE just to read the user is ended before the check."""
    fresh = not db.session().in_transaction()
    user = find_user_by_email(email)
    user_id, stored, active = (user.id, user.password_hash, user.is_active) if user else (None, None, False)
    if fresh and write_intent_now():
        db.session.rollback()
    # an unknown email costs the same check (against a dummy hash): no timing hint
    if not _hash_matches(stored, password) or not active:
        return None
    begin_writing()
    user = db.session.get(User, user_id)  # still loaded, unless the transaction was ended above
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def update_profile(user: User, **fields) -> User:
    for name, value in fields.items():
        setattr(user, name, value)
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not password_matches(user, current_password):
        raise ServiceError(_l("Your current password is not correct."))
    set_password(user, new_password)


def set_password(user: User, new_password: str) -> None:
    """Set a new password and sign the user out everywhere else."""
    user.password_hash = hash_password(new_password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Make every session and remember cookie of this user invalid, on every device.

    Sessions live in signed cookies, so a copy of one (a shared computer, a stolen
    cookie) would keep working after sign-out unless the server stops accepting it:
    the version in the cookie no longer matches.
    """
    user.session_version += 1
    db.session.flush()


def grant_roles(user: User, roles: list[str], actor: User | None = None) -> None:
    for role in roles:
        if role not in {str(r) for r in Role}:
            raise ServiceError(_l("Unknown role: %(role)s", role=role))
        if not user.has_role(role):
            user.roles.append(UserRole(role=role))
            record(ROLE_GRANTED, user, actor=actor, role=role)
    db.session.flush()


# -- password reset -----------------------------------------------------------


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(email: str, now: datetime | None = None) -> None:
    """Email a reset link if the account exists. Says nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_token_digest(token),
            created_at=now,
            expires_at=now + timedelta(seconds=max_age),
        )
    )
    link = external_url("accounts.reset_password", token=token)
    notify.password_reset(user, link, max_age // 60)


def valid_reset_token(token: str, now: datetime | None = None) -> PasswordResetToken | None:
    row = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_digest(token))
    )
    now = now or utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


def reset_password(token: str, new_password: str, now: datetime | None = None) -> User:
    now = now or utcnow()
    row = valid_reset_token(token, now)
    if row is None:
        raise ServiceError(
            _l("This reset link is invalid, expired or already used. Please ask for a new one.")
        )
    # Claim the token with a conditional update: of two tabs using one link, one wins.
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise ServiceError(
            _l("This reset link is invalid, expired or already used. Please ask for a new one.")
        )
    user = row.user
    # Every other outstanding link for this account dies with this one.
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    set_password(user, new_password)
    return user
