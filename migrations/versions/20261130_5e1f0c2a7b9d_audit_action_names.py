"""audit action names: one convention, object.verb

Revision ID: 5e1f0c2a7b9d
Revises: a2e669333a3f
Create Date: 2026-11-30 02:30:00

Every action is now declared once (lms.audit.actions) and named object.verb; the
events already in the log are renamed so that the audit page says them in words.
"""
from alembic import op
import sqlalchemy as sa


revision = '5e1f0c2a7b9d'
down_revision = 'a2e669333a3f'
branch_labels = None
depends_on = None

RENAMED = [
    ("attendance_all_present", "attendance.all_present"),
    ("attendance_imported", "attendance.imported"),
    ("attendance_marked", "attendance.marked"),
    ("capacity_changed", "run.capacity_changed"),
    ("certificate_issued", "certificate.issued"),
    ("certificate_reissued", "certificate.reissued"),
    ("certificate_revoked", "certificate.revoked"),
    ("certificates_issued", "edition.certificates_issued"),
    ("completion_exception", "completion_exception.recorded"),
    ("completion_exception_revoked", "completion_exception.revoked"),
    ("course.copied", "edition.copied"),
    ("course.created", "edition.created"),
    ("course.updated", "edition.updated"),
    ("essay_graded", "quiz.essay_graded"),
    ("failed_mail_sent_again", "mail.failed_sent_again"),
    ("mail_sent_again", "mail.sent_again"),
    ("question_added", "question.added"),
    ("question_archived", "question.archived"),
    ("question_edited", "question.edited"),
    ("quiz_regraded", "quiz.regraded"),
    ("quiz_settings_changed", "quiz.settings_changed"),
    ("registered", "registration.created"),
    ("registration_cancelled", "registration.cancelled"),
    ("role_granted", "user.role_granted"),
    ("run_switched", "registration.run_switched"),
]

audit_event = sa.table("audit_event", sa.column("action", sa.String))


def _rename(pairs):
    for old, new in pairs:
        op.execute(audit_event.update().where(audit_event.c.action == old).values(action=new))


def upgrade():
    _rename(RENAMED)


def downgrade():
    _rename([(new, old) for old, new in RENAMED])
