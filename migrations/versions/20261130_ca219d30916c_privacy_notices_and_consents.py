"""Privacy notices (versioned) and consents per purpose and notice version.

An installation that already has accounts gets the shipped notice as version 1, and
each learner's registration privacy tick (``registration.privacy_accepted_at``, the
earliest of their registrations) becomes a consent to take part under version 1, given
"before versioning". The column stays: it is the registration's own record of the tick
and keeps the downgrade lossless (dropping the tables loses nothing that was there
before). An empty database gets no notice here: loading content publishes it.

Revision ID: ca219d30916c
Revises: e8b8be023cd0
Create Date: 2026-11-30 04:19:13.319929

"""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

import lms.db

NOTICE_FOLDER = Path(__file__).resolve().parents[2] / "content" / "privacy"

# revision identifiers, used by Alembic.
revision = "ca219d30916c"
down_revision = "e8b8be023cd0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "privacy_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", lms.db.Translated(), nullable=False),
        sa.Column("published_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user.id"],
            name=op.f("fk_privacy_notice_published_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_notice")),
        sa.UniqueConstraint("version", name=op.f("uq_privacy_notice_version")),
    )
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("given_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("how", sa.String(length=30), nullable=False),
        sa.Column("withdrawn_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["privacy_notice.id"], name=op.f("fk_consent_notice_id_privacy_notice")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_consent_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index("ix_consent_purpose_notice", ["purpose", "notice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_user_id"), ["user_id"], unique=False)

    migrate_privacy_ticks()


def shipped_notice() -> dict:
    return {
        path.name.split(".")[-2]: path.read_text(encoding="utf-8").strip()
        for path in sorted(NOTICE_FOLDER.glob("notice-v1.*.md"))
    }


def migrate_privacy_ticks() -> None:
    connection = op.get_bind()
    if connection.execute(sa.text('SELECT COUNT(*) FROM "user"')).scalar() == 0:
        return
    notice = sa.table(
        "privacy_notice",
        sa.column("id", sa.Integer),
        sa.column("version", sa.Integer),
        sa.column("text", sa.JSON),
        sa.column("published_at", lms.db.UTCDateTime()),
    )
    consent = sa.table(
        "consent",
        sa.column("user_id", sa.Integer),
        sa.column("purpose", sa.String),
        sa.column("notice_id", sa.Integer),
        sa.column("given_at", lms.db.UTCDateTime()),
        sa.column("how", sa.String),
    )
    registration = sa.table(
        "registration",
        sa.column("user_id", sa.Integer),
        sa.column("privacy_accepted_at", lms.db.UTCDateTime()),
    )
    connection.execute(
        notice.insert().values(version=1, text=shipped_notice(), published_at=datetime.now(UTC))
    )
    notice_id = connection.execute(sa.select(notice.c.id).where(notice.c.version == 1)).scalar_one()
    ticks = connection.execute(
        sa.select(registration.c.user_id, sa.func.min(registration.c.privacy_accepted_at)).group_by(
            registration.c.user_id
        )
    ).all()
    if ticks:
        connection.execute(
            consent.insert(),
            [
                {
                    "user_id": user_id,
                    "purpose": "course",
                    "notice_id": notice_id,
                    "given_at": given_at,
                    "how": "before_versioning",
                }
                for user_id, given_at in ticks
            ],
        )


def downgrade():
    # registration.privacy_accepted_at was kept: dropping the tables loses nothing older.
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_user_id"))
        batch_op.drop_index("ix_consent_purpose_notice")

    op.drop_table("consent")
    op.drop_table("privacy_notice")
