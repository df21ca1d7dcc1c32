"""The application factory, configuration and error pages."""

from __future__ import annotations

import pytest
from flask import abort

from lms import create_app, extensions
from lms.config import Config, TestConfig, load_or_create_secret_key
from tests.helpers import page_text


def test_extensions_are_created_unbound_and_bound_per_app(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    first = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"})
    second = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/b.db"})
    # One extension object serves several apps, each with its own engine.
    with first.app_context():
        first_url = str(extensions.db.engine.url)
    with second.app_context():
        second_url = str(extensions.db.engine.url)
    assert first_url.endswith("a.db") and second_url.endswith("b.db")


def test_config_reads_lms_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LMS_DATABASE_URL", "postgresql+psycopg://user@db.example/lms")
    monkeypatch.setenv("LMS_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("LMS_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("LMS_BASE_URL", "https://training.example.org/")
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://user@db.example/lms"
    assert config.SECRET_KEY == "from-the-environment"
    assert config.SMTP_HOST == "smtp.example.org"
    assert config.BASE_URL == "https://training.example.org"
    # Served over HTTPS: cookies are marked Secure.
    assert config.SESSION_COOKIE_SECURE is True
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("LMS_DATABASE_URL", raising=False)
    assert Config().SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'lms.sqlite3'}"


def test_secret_key_is_generated_once_into_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    first = Config().SECRET_KEY
    second = Config().SECRET_KEY
    assert first == second
    assert len(first) >= 40
    assert (tmp_path / "secret_key").read_text() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert load_or_create_secret_key(tmp_path) == first


def test_create_app_accepts_a_mapping_of_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", "TESTING": True})
    assert app.config["TESTING"] is True
    assert app.config["BABEL_DEFAULT_LOCALE"] == "vi"
    assert {"accounts", "catalogue", "my", "progress", "api", "health"} <= set(app.blueprints)
    assert "lms" in app.cli.commands


@pytest.mark.parametrize(
    ("lang", "text"),
    [("vi", "Không tìm thấy trang"), ("en", "Page not found")],
)
def test_404_page_in_both_languages(client, lang, text):
    response = client.get(f"/no-such-page?lang={lang}")
    assert response.status_code == 404
    assert text in page_text(response)


def test_403_page_in_both_languages(app, client):
    @app.get("/forbidden-for-test")
    def forbidden():
        abort(403)

    assert "Bạn không có quyền" in page_text(client.get("/forbidden-for-test?lang=vi"))
    response = client.get("/forbidden-for-test?lang=en")
    assert response.status_code == 403
    assert "You do not have permission" in page_text(response)


def test_500_page_in_both_languages(database_url, tmp_path):
    config = TestConfig(database_url, tmp_path / "instance")
    config.TESTING = False  # let the error handler answer instead of raising
    config.PROPAGATE_EXCEPTIONS = False
    app = create_app(config)

    @app.get("/broken-for-test")
    def broken():
        raise RuntimeError("boom")

    client = app.test_client()
    response = client.get("/broken-for-test?lang=en")
    assert response.status_code == 500
    assert "Something went wrong" in page_text(response)
    assert "Đã xảy ra lỗi" in page_text(client.get("/broken-for-test?lang=vi"))
    with app.app_context():
        extensions.db.engine.dispose()


def test_post_without_csrf_token_is_refused_with_a_clear_message(client):
    response = client.post("/account/login?lang=en", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 400
    assert "nothing was saved" in page_text(response)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/courses/nope")
    assert response.status_code == 404
    assert response.json["status"] == 404
