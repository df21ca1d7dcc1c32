"""join clicks, check-in codes and session recordings

Revision ID: b7e2c4d91a06
Revises: 4ca5df2545b6
Create Date: 2026-11-30 04:30:00

join_click logs each click on /join/<run>; checkin_rotation holds the generation of a
run's check-in codes (a trainer's "new code" bumps it); checkin_failure counts wrong
codes per learner for the throttle; recording holds a run's recording (a link or a
file stored as materials are) with its expiry.
"""
from alembic import op
import sqlalchemy as sa

import lms.db


revision = 'b7e2c4d91a06'
down_revision = '4ca5df2545b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'join_click',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('clicked_at', lms.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['run.id'], name=op.f('fk_join_click_run_id_run')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_join_click_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_join_click')),
    )
    with op.batch_alter_table('join_click', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_click_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_join_click_user_id'), ['user_id'], unique=False)

    op.create_table(
        'checkin_rotation',
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('rotated_at', lms.db.UTCDateTime(), nullable=False),
        sa.Column('rotated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['run_id'], ['run.id'], name=op.f('fk_checkin_rotation_run_id_run')),
        sa.ForeignKeyConstraint(['rotated_by_id'], ['user.id'], name=op.f('fk_checkin_rotation_rotated_by_id_user')),
        sa.PrimaryKeyConstraint('run_id', name=op.f('pk_checkin_rotation')),
    )
    op.create_table(
        'checkin_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('tried_at', lms.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['run.id'], name=op.f('fk_checkin_failure_run_id_run')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_checkin_failure_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_failure')),
    )
    with op.batch_alter_table('checkin_failure', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_failure_user_tried', ['user_id', 'tried_at'], unique=False)



    op.create_table(
        'recording',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=1000), nullable=False),
        sa.Column('storage_key', sa.String(length=100), nullable=True),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=255), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('expires_at', lms.db.UTCDateTime(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('added_at', lms.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['run.id'], name=op.f('fk_recording_run_id_run')),
        sa.ForeignKeyConstraint(['added_by_id'], ['user.id'], name=op.f('fk_recording_added_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recording')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_recording_storage_key')),
    )
    with op.batch_alter_table('recording', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recording_run_id'), ['run_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recording', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recording_run_id'))
    op.drop_table('recording')
    with op.batch_alter_table('checkin_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_checkin_failure_user_tried')
    op.drop_table('checkin_failure')
    op.drop_table('checkin_rotation')
    with op.batch_alter_table('join_click', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_click_user_id'))
        batch_op.drop_index(batch_op.f('ix_join_click_run_id'))
    op.drop_table('join_click')
