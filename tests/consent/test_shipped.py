"""The shipped notice becomes version 1 when content is loaded, once."""

from __future__ import annotations

from sqlalchemy import select

from lms.config import ROOT
from lms.consent.models import PrivacyNotice
from lms.consent.shipped import shipped_texts


def test_loading_content_publishes_the_shipped_notice_once(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "load-content", str(ROOT / "content" / "eip-2023")])
    assert first.exit_code == 0, first.output
    assert "privacy notice: version 1 published" in first.output
    again = runner.invoke(args=["lms", "load-content", str(ROOT / "content" / "eip-2023")])
    assert "privacy notice" not in again.output
    db.session.expire_all()
    notices = db.session.scalars(select(PrivacyNotice)).all()
    assert [(notice.version, notice.text) for notice in notices] == [(1, shipped_texts())]


def test_the_shipped_notice_names_the_controller_purposes_recipients_and_rights_in_both_languages():
    texts = {locale: " ".join(text.split()) for locale, text in shipped_texts().items()}
    assert set(texts) == {"vi", "en"}
    for words in (["UNIDO", "SECO", "91/2025/QH15", "356/2025"],):
        for text in texts.values():
            assert all(word in text for word in words)
    assert "Bộ Kế hoạch và Đầu tư" in texts["vi"] and "Ministry of Planning and Investment" in texts["en"]
