"""Browser journeys: the real app served on loopback, driven in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import missing_part
from tests.e2e.browser import demo_served

CHROMIUM = os.environ.get("LMS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        missing_part(f"browser journeys: no Chromium at {CHROMIUM} (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


_LIVE_APPS: list = []


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app with the demo loaded, served by a real HTTP server on a free port."""
    with demo_served(tmp_path_factory.mktemp("live")) as (app, base):
        _LIVE_APPS.append(app)
        yield base


@pytest.fixture
def screenshots() -> Path:
    """Where journeys leave screenshots for a person to look at (not asserted)."""
    folder = Path(os.environ.get("LMS_SCREENSHOTS", Path(__file__).resolve().parents[2] / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A learner in Viet Nam: the browser asks for Vietnamese.
    return {**browser_context_args, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}


@pytest.fixture
def live_app(live_server):
    """The served app itself, for a journey that must arrange data first (in its own
    app context, committed before the browser asks)."""
    return _LIVE_APPS[-1]
