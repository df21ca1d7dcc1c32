"""Mail tests: the app pointed at the suite's real SMTP server, and quick retries."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory


@pytest.fixture
def smtp_app(app, smtp_server):
    """The app sending through ``smtp_server`` (no TLS, no login), retrying after 1 s."""
    app.config.update(
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=smtp_server.port,
        SMTP_STARTTLS=False,
        SMTP_TIMEOUT=2,
        MAIL_RETRY_DELAYS=[1, 1, 1],
    )
    return app


@pytest.fixture
def learner(db):
    user = UserFactory(email="lan@example.org", full_name="Nguyễn Thị Lan", locale="vi")
    db.session.commit()
    return user
