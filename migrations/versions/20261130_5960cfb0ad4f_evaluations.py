"""evaluations: forms per module and the follow-up survey, their items, anonymous
responses and answers (random keys, no user, WITHOUT ROWID on SQLite), invitations
(who was invited, reminded, has answered) and each edition's settings

Revision ID: 5960cfb0ad4f
Revises: ca219d30916c
Create Date: 2026-11-30 04:17:07.220349

"""

import sqlalchemy as sa
from alembic import op

import lms.db

# revision identifiers, used by Alembic.
revision = "5960cfb0ad4f"
down_revision = "ca219d30916c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "evaluation_settings",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("required_for_certificate", sa.Boolean(), nullable=False),
        sa.Column("trainers_see_results", sa.Boolean(), nullable=False),
        sa.Column("follow_up_months", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_evaluation_settings_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_evaluation_settings")),
    )
    op.create_table(
        "evaluation_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("closes_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_evaluation_form_course_id_course"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["module_id"], ["module.id"], name=op.f("fk_evaluation_form_module_id_module"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_form")),
        sa.UniqueConstraint(
            "course_id", "module_id", "kind", name=op.f("uq_evaluation_form_course_id_module_id_kind")
        ),
    )
    with op.batch_alter_table("evaluation_form", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_form_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_form_module_id"), ["module_id"], unique=False)

    op.create_table(
        "evaluation_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["evaluation_form.id"],
            name=op.f("fk_evaluation_invitation_form_id_evaluation_form"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_evaluation_invitation_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_invitation")),
        sa.UniqueConstraint("form_id", "user_id", name=op.f("uq_evaluation_invitation_form_id_user_id")),
    )
    with op.batch_alter_table("evaluation_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_invitation_form_id"), ["form_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_invitation_user_id"), ["user_id"], unique=False)

    op.create_table(
        "evaluation_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", lms.db.Translated(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["evaluation_form.id"],
            name=op.f("fk_evaluation_item_form_id_evaluation_form"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_item")),
    )
    with op.batch_alter_table("evaluation_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_item_form_id"), ["form_id"], unique=False)

    op.create_table(
        "evaluation_response",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("organisation_type", sa.String(length=40), nullable=False),
        sa.Column("province", sa.String(length=40), nullable=False),
        sa.Column("gender", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["evaluation_form.id"],
            name=op.f("fk_evaluation_response_form_id_evaluation_form"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_response")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("evaluation_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_response_form_id"), ["form_id"], unique=False)

    op.create_table(
        "evaluation_answer",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("response_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["evaluation_item.id"],
            name=op.f("fk_evaluation_answer_item_id_evaluation_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["evaluation_response.id"],
            name=op.f("fk_evaluation_answer_response_id_evaluation_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_answer")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("evaluation_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_answer_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_answer_response_id"), ["response_id"], unique=False)


def downgrade():
    with op.batch_alter_table("evaluation_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_answer_response_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_answer_item_id"))

    op.drop_table("evaluation_answer")
    with op.batch_alter_table("evaluation_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_response_form_id"))

    op.drop_table("evaluation_response")
    with op.batch_alter_table("evaluation_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_item_form_id"))

    op.drop_table("evaluation_item")
    with op.batch_alter_table("evaluation_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_invitation_user_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_invitation_form_id"))

    op.drop_table("evaluation_invitation")
    with op.batch_alter_table("evaluation_form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_form_module_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_form_course_id"))

    op.drop_table("evaluation_form")
    op.drop_table("evaluation_settings")
