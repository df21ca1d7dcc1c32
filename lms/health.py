"""``/healthz``: for load balancers and uptime checks.

It reads without taking SQLite's write lock (a GET), with one aggregate query over the
unsent part of the outbox, so it answers quickly however busy the workers are.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lms.extensions import db, limiter
from lms.mail.outbox import mail_health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        mail = mail_health().as_dict()
    except SQLAlchemyError as error:
        db.session.rollback()
        return jsonify(status="error", database="unavailable", detail=type(error).__name__), 503
    return jsonify(status="ok", database="ok", backend=db.engine.dialect.name, mail=mail)
