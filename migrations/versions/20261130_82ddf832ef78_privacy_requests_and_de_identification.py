"""Learners' data requests (privacy_request), and what de-identification and retention
mark: user.deidentified_at, user.keep_account, certificate.name_removed_at

Revision ID: 82ddf832ef78
Revises: 7c3d9e41b2f8
Create Date: 2026-11-30 04:18:31.553695

"""

from alembic import op
import sqlalchemy as sa

import lms.db


# revision identifiers, used by Alembic.
revision = "82ddf832ef78"
down_revision = "7c3d9e41b2f8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "privacy_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("processed_by_id", sa.Integer(), nullable=True),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificate.id"], name=op.f("fk_privacy_request_certificate_id_certificate")
        ),
        sa.ForeignKeyConstraint(
            ["processed_by_id"], ["user.id"], name=op.f("fk_privacy_request_processed_by_id_user")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_privacy_request_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_request")),
    )
    with op.batch_alter_table("privacy_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_request_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_privacy_request_one_open",
            ["user_id", "kind"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_removed_at", lms.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deidentified_at", lms.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("keep_account", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("keep_account")
        batch_op.drop_column("deidentified_at")

    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_column("name_removed_at")

    with op.batch_alter_table("privacy_request", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_privacy_request_one_open",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_privacy_request_user_id"))

    op.drop_table("privacy_request")
