"""A run's recording: a link, or a file stored through the materials' checks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.catalogue.models import Run
from lms.db import UTCDateTime, utcnow
from lms.extensions import db


class Recording(db.Model):
    __tablename__ = "recording"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"), index=True)
    url: Mapped[str] = mapped_column(String(1000), default="")  # a link; empty for a file
    # A stored file (lms.materials.storage): a name the server made, never the uploader's.
    storage_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(255), default="")
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    # The last instant it may be watched (end of the chosen day in the course's zone).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[Run] = relationship()
    added_by: Mapped[User | None] = relationship()

    @property
    def is_file(self) -> bool:
        return self.storage_key is not None

    def is_expired(self, now: datetime) -> bool:
        return now > self.expires_at
