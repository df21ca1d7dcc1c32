"""Materials of a module: files (with every version kept) and links.

A material has a title and description per locale, the languages its content is in
(one, or several for a bilingual file), and who may see it. Replacing a file adds a
version and makes it the current one; earlier versions stay, with who uploaded them
and when. Unpublishing hides a material from learners without deleting anything.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.catalogue.models import Module
from lms.db import Translated, UTCDateTime, utcnow
from lms.extensions import db


class MaterialKind(enum.StrEnum):
    FILE = "file"
    LINK = "link"


class Visibility(enum.StrEnum):
    EVERYONE = "everyone"
    REGISTERED = "registered"  # learners with an active registration for the course
    AFTER_START = "after_start"  # the same, once the module's first run has started


class Material(db.Model):
    __tablename__ = "material"
    __table_args__ = (
        # Materials shipped in a content folder have a key, so reloading updates them.
        UniqueConstraint("module_id", "key"),
        CheckConstraint("kind IN ('file', 'link')", name="kind_known"),
        CheckConstraint("download_count >= 0", name="download_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    key: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))
    position: Mapped[int]
    title: Mapped[dict] = mapped_column(Translated)
    description: Mapped[dict] = mapped_column(Translated, default=dict)
    # Locale codes of the content, e.g. ["vi"], ["en"] or ["vi", "en"] for a bilingual file.
    languages: Mapped[list] = mapped_column(JSON)
    visibility: Mapped[str] = mapped_column(String(20), default=Visibility.EVERYONE)
    url: Mapped[str] = mapped_column(String(1000), default="")
    is_published: Mapped[bool] = mapped_column(default=True)
    # Downloads of any version, and openings of a link.
    download_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    module: Mapped[Module] = relationship()
    created_by: Mapped[User | None] = relationship()
    versions: Mapped[list[MaterialVersion]] = relationship(
        back_populates="material", order_by="MaterialVersion.number.desc()", cascade="all, delete-orphan"
    )
    current_version: Mapped[MaterialVersion | None] = relationship(
        primaryjoin="and_(Material.id == MaterialVersion.material_id, MaterialVersion.is_current)",
        viewonly=True,
        uselist=False,
    )

    @property
    def is_file(self) -> bool:
        return self.kind == MaterialKind.FILE

    @property
    def is_link(self) -> bool:
        return self.kind == MaterialKind.LINK

    def __repr__(self) -> str:
        return f"<Material {self.id} {self.kind} module={self.module_id}>"


class MaterialVersion(db.Model):
    """One uploaded file of a material. Exactly one version of a material is current."""

    __tablename__ = "material_version"
    __table_args__ = (
        UniqueConstraint("material_id", "number"),
        Index(
            "uq_material_version_one_current",
            "material_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    is_current: Mapped[bool] = mapped_column(default=True)
    # A name the server made, never the uploader's file name.
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    # The uploader's file name, as downloads offer it (Vietnamese letters included).
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Null for files loaded from a content folder.
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    download_count: Mapped[int] = mapped_column(default=0)

    material: Mapped[Material] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<MaterialVersion {self.material_id}#{self.number}>"
