"""outbox delivery states

Revision ID: d88a87f5599b
Revises: 53c255c29ceb
Create Date: 2026-11-30 01:33:39.071297

"""
from alembic import op
import sqlalchemy as sa

import lms.db


# revision identifiers, used by Alembic.
revision = 'd88a87f5599b'
down_revision = '53c255c29ceb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('course_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('message_id', sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', lms.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', lms.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_at', lms.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('raw', existing_type=sa.LargeBinary(), nullable=True)

    # Messages queued before: already built (raw), so workers send them as they are.
    # Five attempts was the old limit; those rows failed and show as failed now.
    op.execute(
        "UPDATE outbox_message SET payload = '{}', next_attempt_at = created_at, "
        "status = CASE WHEN sent_at IS NOT NULL THEN 'sent' "
        "WHEN attempts >= 5 THEN 'failed' ELSE 'queued' END"
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('payload', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('status', existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column('next_attempt_at', existing_type=lms.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_course_id'), ['course_id'], unique=False)
        batch_op.create_index('ix_outbox_message_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_message_message_id'), ['message_id'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_course_id_course'), 'course', ['course_id'], ['id'], ondelete='SET NULL')


def downgrade():
    # The old outbox cannot hold a message that was never built (it only knew raw
    # messages): those intents are dropped; every built message is kept.
    op.execute("DELETE FROM outbox_message WHERE raw IS NULL")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_course_id_course'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_outbox_message_message_id'), type_='unique')
        batch_op.drop_index('ix_outbox_message_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_outbox_message_course_id'))
        batch_op.alter_column('raw', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('failed_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('status')
        batch_op.drop_column('message_id')
        batch_op.drop_column('course_id')
        batch_op.drop_column('payload')
