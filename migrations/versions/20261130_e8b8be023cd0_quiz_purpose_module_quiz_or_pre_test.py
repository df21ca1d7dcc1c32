"""quiz purpose: module quiz or pre-test

Revision ID: e8b8be023cd0
Revises: b7e2c4d91a06
Create Date: 2026-11-30 04:16:48.352054

A module may now have a pre-test beside its quiz: the quiz's purpose joins its module
in the unique key. Every existing quiz is a module quiz. The downgrade deletes the
pre-tests with their attempts (the old schema cannot hold them).
"""
from alembic import op
import sqlalchemy as sa

import lms.db


# revision identifiers, used by Alembic.
revision = 'e8b8be023cd0'
down_revision = 'b7e2c4d91a06'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=20), server_default='module', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_quiz_module_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_quiz_module_id'), ['module_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_quiz_module_id_purpose'), ['module_id', 'purpose'])
        batch_op.create_check_constraint(batch_op.f('ck_quiz_purpose_known'), "purpose IN ('module', 'pretest')")


def downgrade():
    pretests = "SELECT id FROM quiz WHERE purpose = 'pretest'"
    attempts = f"SELECT id FROM attempt WHERE quiz_id IN ({pretests})"
    op.execute(f"DELETE FROM answer WHERE attempt_id IN ({attempts})")
    op.execute(f"DELETE FROM attempt WHERE quiz_id IN ({pretests})")
    op.execute(f"DELETE FROM question WHERE quiz_id IN ({pretests})")
    op.execute("DELETE FROM quiz WHERE purpose = 'pretest'")
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_quiz_purpose_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_quiz_module_id_purpose'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_quiz_module_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_quiz_module_id'), ['module_id'])
        batch_op.drop_column('purpose')
