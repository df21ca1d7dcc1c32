"""closing minutes count to their end in stored data too

Revision ID: 7c3d9e41b2f8
Revises: 5e1f0c2a7b9d
Create Date: 2026-11-30 03:00:00

Closing times typed before lms.deadlines.last_instant existed were stored at the first
second of their minute (23:59:00): a learner sending the form at 23:59:20 was refused
although the form said the closing minute counts. Every stored closing time that falls
exactly on a whole minute is moved to the last instant of that minute, as the forms now
store it; a time with seconds was typed to the second and stays. The downgrade puts
them back on the whole minute.
"""
from datetime import UTC, timedelta

from alembic import op
import sqlalchemy as sa

import lms.db


revision = '7c3d9e41b2f8'
down_revision = '5e1f0c2a7b9d'
branch_labels = None
depends_on = None

LAST = timedelta(seconds=59, microseconds=999_999)
CLOSING = [("course", "registration_closes_at"), ("quiz", "closes_at")]


def _move(on_whole_minute: bool, shift: timedelta) -> None:
    bind = op.get_bind()
    for table_name, column_name in CLOSING:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column_name, lms.db.UTCDateTime()))
        column = table.c[column_name]
        for row_id, value in bind.execute(sa.select(table.c.id, column).where(column.is_not(None))).all():
            value = value.astimezone(UTC)
            whole = value.second == 0 and value.microsecond == 0
            last = value.second == 59 and value.microsecond == 999_999
            if (on_whole_minute and whole) or (not on_whole_minute and last):
                bind.execute(table.update().where(table.c.id == row_id).values({column_name: value + shift}))


def upgrade():
    _move(on_whole_minute=True, shift=LAST)


def downgrade():
    _move(on_whole_minute=False, shift=-LAST)
