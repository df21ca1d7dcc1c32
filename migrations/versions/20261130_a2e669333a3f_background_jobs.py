"""background jobs: organisers' long work (ZIPs, exports, issuing) with progress

Revision ID: a2e669333a3f
Revises: d88a87f5599b
Create Date: 2026-11-30 01:43:10.231434

"""
from alembic import op
import sqlalchemy as sa

import lms.db


# revision identifiers, used by Alembic.
revision = 'a2e669333a3f'
down_revision = 'd88a87f5599b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('background_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('dedup_key', sa.String(length=64), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('result_path', sa.String(length=255), nullable=True),
    sa.Column('result_size', sa.Integer(), nullable=True),
    sa.Column('download_name', sa.String(length=255), nullable=False),
    sa.Column('mimetype', sa.String(length=120), nullable=False),
    sa.Column('outcome', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('run_after', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_background_job_course_id_course'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_background_job_requested_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_job'))
    )
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_background_job_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_background_job_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index('ix_background_job_status_run_after', ['status', 'run_after'], unique=False)
        batch_op.create_index('uq_background_job_one_active', ['dedup_key'], unique=True, sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))



def downgrade():
    # The files jobs made (instance/job-results/) are left on disk; remove the folder by hand.
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.drop_index('uq_background_job_one_active', sqlite_where=sa.text("status IN ('queued', 'running')"), postgresql_where=sa.text("status IN ('queued', 'running')"))
        batch_op.drop_index('ix_background_job_status_run_after')
        batch_op.drop_index(batch_op.f('ix_background_job_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_background_job_course_id'))

    op.drop_table('background_job')
