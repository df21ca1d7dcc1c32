"""Messages to participants: the messages, their recipients (once each), the opt-outs

Revision ID: 4ca5df2545b6
Revises: 82ddf832ef78
Create Date: 2026-11-30 04:18:19.084424

"""

import sqlalchemy as sa
from alembic import op

import lms.db


# revision identifiers, used by Alembic.
revision = "4ca5df2545b6"
down_revision = "82ddf832ef78"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "participant_message_opt_out",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_participant_message_opt_out_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_participant_message_opt_out")),
    )
    op.create_table(
        "participant_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("about_seats", sa.Boolean(), nullable=False),
        sa.Column("subject", lms.db.Translated(), nullable=False),
        sa.Column("body", lms.db.Translated(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("send_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("sent_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recipient_count", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_participant_message_author_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"], ["user.id"], name=op.f("fk_participant_message_cancelled_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_participant_message_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["module_id"], ["module.id"], name=op.f("fk_participant_message_module_id_module")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_participant_message_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_message")),
    )
    with op.batch_alter_table("participant_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participant_message_course_id"), ["course_id"], unique=False)
        batch_op.create_index("ix_participant_message_state_send_at", ["state", "send_at"], unique=False)

    op.create_table(
        "participant_message_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["participant_message.id"],
            name=op.f("fk_participant_message_recipient_message_id_participant_message"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_participant_message_recipient_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_message_recipient")),
        sa.UniqueConstraint(
            "message_id", "user_id", name=op.f("uq_participant_message_recipient_message_id_user_id")
        ),
    )
    with op.batch_alter_table("participant_message_recipient", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_participant_message_recipient_user_id"), ["user_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("participant_message_recipient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_message_recipient_user_id"))

    op.drop_table("participant_message_recipient")
    with op.batch_alter_table("participant_message", schema=None) as batch_op:
        batch_op.drop_index("ix_participant_message_state_send_at")
        batch_op.drop_index(batch_op.f("ix_participant_message_course_id"))

    op.drop_table("participant_message")
    op.drop_table("participant_message_opt_out")
