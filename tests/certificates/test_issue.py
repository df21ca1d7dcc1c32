"""Issuing certificates: codes, automatically on completion, for a whole edition,
revoking and re-issuing."""

from __future__ import annotations

import math
import re

import pytest
from sqlalchemy import func, select

from lms.attendance import services
from lms.attendance.models import AttendanceStatus
from lms.audit.models import AuditEvent
from lms.catalogue.models import CourseStatus
from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.completion import exceptions as completion_exceptions
from lms.errors import ServiceError
from tests.completion.test_progress import pass_quiz, setup_course
from tests.conftest import email_text, sent_emails


def complete(db, course, learner, organiser):
    for module in course.modules:
        services.mark(module.runs[0], learner.id, services.Mark(AttendanceStatus.PRESENT, 110), organiser)
        pass_quiz(db, module, learner)
    db.session.commit()


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Certificate))


def test_codes_carry_140_random_bits_in_seven_readable_groups():
    codes = {certificates.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{28}", code) for code in codes)
    assert len(certificates.ALPHABET) ** certificates.CODE_LENGTH >= 2**128
    assert math.log2(len(certificates.ALPHABET)) * certificates.CODE_LENGTH == 140
    # every character is used: the codes are not drawn from a narrow range
    assert set("".join(codes)) == set(certificates.ALPHABET)
    code = "7KQ3M9XD2B4FW8RTZP6HC1NV5YJE"
    assert certificates.display_code(code) == "7KQ3-M9XD-2B4F-W8RT-ZP6H-C1NV-5YJE"


@pytest.mark.parametrize(
    "typed",
    [
        "7KQ3-M9XD-2B4F-W8RT-ZP6H-C1NV-5YJE",
        " 7kq3 m9xd 2b4f w8rt zp6h c1nv 5yje ",
        "7KQ3-M9XD-2B4F-W8RT-ZP6H-CLNV-5YJE",
    ],
)
def test_typed_codes_are_normalised(typed):
    assert certificates.normalise_code(typed) == "7KQ3M9XD2B4FW8RTZP6HC1NV5YJE"


@pytest.mark.parametrize(
    "typed", ["", "7KQ3", "7KQ3-M9XD-2B4F-W8RT-ZP6H-C1NV-5YJU", "../../etc/passwd", "7" * 29]
)
def test_impossible_codes_are_refused(typed):
    assert certificates.normalise_code(typed) is None


def test_a_certificate_is_issued_the_moment_the_learner_completes(app, db):
    course, learner, organiser = setup_course(db)
    first, second = course.modules
    services.mark(first.runs[0], learner.id, services.Mark(AttendanceStatus.PRESENT, 110), organiser)
    pass_quiz(db, first, learner)
    pass_quiz(db, second, learner)
    db.session.commit()
    assert count(db) == 0  # attended one module of two
    services.mark(second.runs[0], learner.id, services.Mark(AttendanceStatus.LATE, 50), organiser)
    db.session.commit()
    certificate = db.session.scalar(select(Certificate))
    assert certificate.user_id == learner.id and certificate.is_valid and certificate.issued_by_id is None
    assert certificate.learner_name == learner.full_name
    db.session.commit()  # end the test's transaction: SQLite lets one writer in at a time
    email = sent_emails(app)[-1]
    assert email["To"] == learner.email
    text = email_text(email)
    assert certificates.display_code(certificate.code) in text
    assert f"/verify/{certificates.display_code(certificate.code)}" in text
    assert f"/certificates/{certificate.id}/download" in text
    # more marks and quizzes later issue nothing more
    services.mark(second.runs[0], learner.id, services.Mark(AttendanceStatus.PRESENT, 120), organiser)
    pass_quiz(db, second, learner)
    db.session.commit()
    assert count(db) == 1


def test_an_exception_that_completes_the_course_issues_the_certificate(db):
    course, learner, organiser = setup_course(db)
    first, second = course.modules
    services.mark(first.runs[0], learner.id, services.Mark(AttendanceStatus.PRESENT, 110), organiser)
    pass_quiz(db, first, learner)
    db.session.commit()
    completion_exceptions.record_exception(learner, second, "Ốm, đã học bù với giảng viên.", organiser)
    db.session.commit()
    assert count(db) == 1


def test_a_draft_course_issues_nothing_by_itself(db):
    course, learner, organiser = setup_course(db)
    course.status = CourseStatus.DRAFT
    db.session.commit()
    complete(db, course, learner, organiser)
    assert count(db) == 0


def test_issuing_for_a_whole_course_is_idempotent(db, app):
    course, learner, organiser = setup_course(db)
    course.status = CourseStatus.DRAFT  # nothing issued automatically
    db.session.commit()
    complete(db, course, learner, organiser)
    course.status = CourseStatus.PUBLISHED
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "certificates", "issue", course.slug])
    assert result.exit_code == 0, result.output
    assert "1 certificate(s) issued, 0 learner(s) already had one" in result.output
    result = runner.invoke(args=["lms", "certificates", "issue", course.slug])
    assert "0 certificate(s) issued, 1 learner(s) already had one" in result.output
    db.session.expire_all()
    assert count(db) == 1
    assert runner.invoke(args=["lms", "certificates", "issue", "nope"]).exit_code != 0


def test_revoke_and_reissue_keep_every_certificate(db):
    course, learner, organiser = setup_course(db)
    complete(db, course, learner, organiser)
    first = db.session.scalar(select(Certificate))
    learner.full_name = "Trần Thị Hạnh"  # the name was misspelt at sign-up
    second = certificates.reissue(first, organiser)
    db.session.commit()
    assert first.status == "replaced" and first.replaced_by_id == second.id
    assert second.is_valid and second.code != first.code and second.learner_name == "Trần Thị Hạnh"
    with pytest.raises(ServiceError):
        certificates.reissue(first, organiser)
    with pytest.raises(ServiceError, match="lý do thu hồi"):
        certificates.revoke(second, "  ", organiser)
    certificates.revoke(second, "Học viên nhờ người khác làm bài kiểm tra.", organiser)
    db.session.commit()
    assert second.status == "revoked" and second.revoked_by_id == organiser.id
    assert certificates.valid_certificate(learner, course) is None
    # a revoked learner is not given a new certificate automatically on the next mark
    services.mark(
        course.modules[0].runs[0], learner.id, services.Mark(AttendanceStatus.PRESENT, 120), organiser
    )
    db.session.commit()
    assert count(db) == 2
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["certificate.reissued", "certificate.revoked"]


def test_issuing_by_hand_needs_completion(db):
    course, learner, organiser = setup_course(db)
    with pytest.raises(ServiceError, match="chưa hoàn thành"):
        certificates.issue_certificate(learner, course, organiser)


def test_the_certificate_names_each_issuer_in_both_languages(db):
    course, learner, organiser = setup_course(db)
    course.issuers = {
        "vi": ["Bộ Kế hoạch và Đầu tư", "UNIDO"],
        "en": ["Ministry of Planning and Investment", "UNIDO"],
    }
    db.session.commit()
    complete(db, course, learner, organiser)
    content = certificates.content_of(db.session.scalar(select(Certificate)))
    assert content.issuers == [
        {"vi": "Bộ Kế hoạch và Đầu tư", "en": "Ministry of Planning and Investment"},
        {"vi": "UNIDO", "en": "UNIDO"},
    ]
    assert content.hours == 4 and content.learner_name == learner.full_name
    course.issuers = {}
    course.organisers = {"vi": "Ban tổ chức", "en": "The organisers"}
    db.session.commit()
    assert certificates.issuers_of(course) == [{"vi": "Ban tổ chức", "en": "The organisers"}]
