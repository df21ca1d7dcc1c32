"""Alembic: an empty database upgrades to head, matches the models, and downgrades."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from lms import create_app, extensions
from lms.config import TestConfig
from tests.pg_server import create_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        url = create_database(request.getfixturevalue("postgres_server_url"), "lms_migrations")
    app = create_app(TestConfig(url, tmp_path / "instance"))
    yield app
    with app.app_context():
        extensions.db.engine.dispose()


def test_upgrade_to_head_matches_the_models_then_downgrades_to_nothing(empty_app):
    with empty_app.app_context():
        engine = extensions.db.engine
        assert inspect(engine).get_table_names() == []

        upgrade()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, extensions.db.metadata)
        assert differences == [], f"models and migrations differ: {differences}"
        tables = set(inspect(engine).get_table_names())
        assert {
            "user",
            "course",
            "module",
            "run",
            "outbox_message",
            "audit_event",
            "background_job",
        } <= tables

        downgrade(revision="base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


def test_a_database_holding_the_demo_goes_down_and_up_again(empty_app):
    """Batch migrations copy tables on SQLite: with rows pointing at them (the lived-in
    demo), dropping the old copy must not trip the foreign keys (migrations/env.py), and
    no reference may be left broken."""
    from lms.demo import load_demo

    with empty_app.app_context():
        upgrade()
        load_demo()
        extensions.db.session.remove()
        users_before = extensions.db.session.execute(text('select count(*) from "user"')).scalar()
        extensions.db.session.remove()

        downgrade(revision="7c3d9e41b2f8")
        upgrade()
        assert extensions.db.session.execute(text('select count(*) from "user"')).scalar() == users_before
