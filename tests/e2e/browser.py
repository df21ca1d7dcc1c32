"""What browser journeys do the same way: serve the demo on loopback, sign in through
the real form."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from lms import create_app, extensions
from lms.config import TestConfig
from lms.demo import DEMO_PASSWORD, load_demo


@contextmanager
def demo_served(folder: Path, arrange: Callable[[], None] | None = None) -> Iterator[tuple[Flask, str]]:
    """The app with the demo loaded (then ``arrange()``, committed, in its context) in a
    database of its own, served by a real HTTP server on a free port: (app, base URL)."""
    app = create_app(TestConfig(f"sqlite:///{folder / 'live.sqlite3'}", folder / "instance"))
    with app.app_context():
        upgrade()
        load_demo()
        if arrange is not None:
            arrange()
        extensions.db.session.commit()
        extensions.db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base  # links in pages and emails
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, base
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            extensions.db.engine.dispose()


# The sign-in form's labels per language (the page's own words, as a person reads them).
SIGN_IN_LABELS = {"vi": ("Mật khẩu", "Đăng nhập"), "en": ("Password", "Sign in")}


def sign_in(
    page: Page, base: str, email: str, password: str = DEMO_PASSWORD, *, lang: str | None = None,
    lands_on_profile: bool = False,
) -> None:  # fmt: skip
    """Sign in on the form. ``lang`` asks for that language (``?lang=``, kept in the
    session); without it the page is in the default language, Vietnamese."""
    page.goto(base + "/account/login" + (f"?lang={lang}" if lang else ""))
    password_label, button = SIGN_IN_LABELS[lang or "vi"]
    page.get_by_label("Email").fill(email)
    page.get_by_label(password_label).fill(password)
    page.get_by_role("button", name=button).click()
    if lands_on_profile:
        expect(page).to_have_url(re.compile(r"/account/profile"))
