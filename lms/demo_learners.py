"""A lived-in past edition for the demo: about 150 learners of eip-2023 who registered,
attended (some absent or excused), took the pre-tests and quizzes and hold certificates,
with a few essays still waiting for the demo trainer.

Deterministic: everything comes from one seeded ``random.Random`` and from the 2023
schedule, never from the clock, so the same seed gives the same people, seats, marks,
answers and certificate holders (certificate codes alone are drawn by
``lms.certificates.services.new_code`` from ``secrets``, as codes must be unguessable).
Idempotent: an edition that already has registrations is left alone. Quick: rows are
inserted in bulk (the edition is in the past: no email is queued, no signal fires);
who completed and so holds a certificate is decided by the one completion rule
(``lms.completion.edition``).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.accounts.services import create_user, find_user_by_email
from lms.attendance.models import Attendance, AttendanceStatus
from lms.catalogue.models import Course, Module, Run
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.services import new_code
from lms.completion.edition import edition_progress, load_evidence
from lms.enrollment.models import ChoiceStatus, Registration, RegistrationStatus, RunChoice
from lms.extensions import db
from lms.quizzes.models import Answer, Attempt, AttemptStatus, QuestionKind, Quiz, QuizPurpose
from lms.quizzes.scoring import score_answer, totals

SEED = 2023
LEARNERS = 150
ESSAYS_WAITING = 4

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
          "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Mai", "Tạ"]  # fmt: skip
MIDDLE = {"female": ["Thị", "Ngọc", "Thu", "Minh", "Thanh", "Hải", "Bích", "Kim"],
          "male": ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Xuân"]}  # fmt: skip
GIVEN = {
    "female": ["Hương", "Lan", "Linh", "Trang", "Hà", "Mai", "Ngọc", "Thảo", "Hạnh", "Yến", "Phương",
               "Nhung", "Vân", "Thủy", "Hằng", "Quyên", "Oanh", "Giang", "Loan", "Dung"],
    "male": ["Hùng", "Dũng", "Tuấn", "Nam", "Khánh", "Long", "Sơn", "Quang", "Thắng", "Phúc", "Bảo",
             "Huy", "Trung", "Đạt", "Hiếu", "Cường", "Tâm", "Toàn", "Vinh", "Lộc"],
}  # fmt: skip
# Provinces with pilot parks come up more often, as they did in the 2023 course.
PROVINCES = {"hai-phong": 14, "dong-nai": 10, "ho-chi-minh": 10, "can-tho": 8, "da-nang": 8, "ha-noi": 12,
             "ninh-binh": 6, "bac-ninh": 6, "tay-ninh": 5, "quang-ninh": 4, "thai-nguyen": 3, "hung-yen": 3,
             "thanh-hoa": 2, "nghe-an": 2, "khanh-hoa": 2, "vinh-long": 2, "quang-ngai": 2, "hue": 2,
             "abroad": 1}  # fmt: skip
PROVINCE_NAMES = {"hai-phong": "Hải Phòng", "dong-nai": "Đồng Nai", "ho-chi-minh": "TP. Hồ Chí Minh",
                  "can-tho": "Cần Thơ", "da-nang": "Đà Nẵng", "ha-noi": "Hà Nội", "ninh-binh": "Ninh Bình",
                  "bac-ninh": "Bắc Ninh", "tay-ninh": "Tây Ninh", "quang-ninh": "Quảng Ninh",
                  "thai-nguyen": "Thái Nguyên", "hung-yen": "Hưng Yên", "thanh-hoa": "Thanh Hóa",
                  "nghe-an": "Nghệ An", "khanh-hoa": "Khánh Hòa", "vinh-long": "Vĩnh Long",
                  "quang-ngai": "Quảng Ngãi", "hue": "Huế", "abroad": ""}  # fmt: skip
ORGANISATION_TYPES = {"park_management_board": 22, "enterprise": 30, "park_developer": 10,
                      "provincial_government": 14, "national_government": 6, "consultancy": 8,
                      "research": 6, "international": 2, "ngo": 2}  # fmt: skip
ORGANISATIONS = {
    "park_management_board": ["Ban quản lý các khu công nghiệp {province}", "Ban quản lý các khu kinh tế {province}"],
    "enterprise": ["Công ty TNHH Dệt may Phú Thành", "Công ty Cổ phần Thép Hòa Phát Bắc", "Công ty TNHH Bao bì Xanh",
                   "Công ty Cổ phần Hóa chất Đông Á", "Công ty TNHH Điện tử Minh Long", "Công ty Cổ phần Thực phẩm Sông Hậu",
                   "Công ty TNHH Giấy Tân Mai Mới", "Công ty TNHH Cơ khí Chính xác Việt"],
    "park_developer": ["Công ty Cổ phần Phát triển hạ tầng KCN {province}", "Tổng công ty Đầu tư phát triển KCN {province}"],
    "provincial_government": ["Sở Tài chính {province}", "Sở Nông nghiệp và Môi trường {province}",
                              "Sở Công Thương {province}"],
    "national_government": ["Bộ Tài chính", "Bộ Nông nghiệp và Môi trường", "Bộ Công Thương"],
    "consultancy": ["Công ty Tư vấn Môi trường Xanh", "Trung tâm Sản xuất sạch Việt Nam", "Công ty Tư vấn Năng lượng Bền vững"],
    "research": ["Viện Khoa học Môi trường", "Trường Đại học Bách khoa Hà Nội", "Trường Đại học Cần Thơ"],
    "international": ["Văn phòng UNIDO tại Việt Nam", "Cơ quan Hợp tác Quốc tế Đức (GIZ)"],
    "ngo": ["Trung tâm Phát triển Sáng kiến Xanh", "Hội Bảo vệ Thiên nhiên và Môi trường"],
}  # fmt: skip
JOB_TITLES = ["Chuyên viên", "Chuyên viên môi trường", "Trưởng phòng", "Phó Trưởng ban", "Kỹ sư",
              "Cán bộ quản lý năng lượng", "Giám đốc nhà máy", "Nghiên cứu viên", "Tư vấn viên"]  # fmt: skip
# Attendance of a learner in their run of a module.
MARKS = [(AttendanceStatus.PRESENT, 87), (AttendanceStatus.LATE, 7), (AttendanceStatus.ABSENT, 3),
         (AttendanceStatus.EXCUSED, 3)]  # fmt: skip
ESSAYS = [
    "Khu công nghiệp nơi tôi làm việc có thể theo dõi lượng nước tiêu thụ trên mỗi đơn vị sản phẩm, lấy số liệu từ đồng hồ "
    "nước của từng doanh nghiệp, và tỷ lệ chất thải rắn được tái chế, lấy từ báo cáo của đơn vị thu gom. Về tài chính, "
    "khoản vay xanh có thể dùng cho hệ thống xử lý nước thải tập trung.",
    "Chúng tôi sẽ theo dõi điện năng tiêu thụ của các doanh nghiệp trong khu và số việc làm của lao động địa phương. "
    "Số liệu lấy từ hóa đơn điện và báo cáo lao động hằng năm. Quỹ bảo vệ môi trường của tỉnh có thể hỗ trợ đầu tư "
    "điện mặt trời áp mái.",
    "Tôi đề xuất hai chỉ số: lượng khí thải nhà kính và số lượng trao đổi phụ phẩm giữa các doanh nghiệp. Ban quản lý "
    "có thể thu thập số liệu qua khảo sát hằng năm. Cơ chế hợp tác công tư phù hợp để đầu tư hạ tầng dùng chung.",
    "Doanh nghiệp của tôi có thể theo dõi lượng nguyên liệu hao hụt và chi phí năng lượng trên mỗi tấn sản phẩm. "
    "Nguồn số liệu là hệ thống quản lý sản xuất. Tín dụng ưu đãi cho sản xuất sạch hơn giúp thay thế lò hơi cũ.",
]  # fmt: skip


# Later parts of the lived-in edition, by name: each gets the edition, its registered
# learners (in registration order) and a generator seeded from SEED and its own name, so
# adding one never changes the data of the others. Each must be idempotent on its own
# (it runs on every `lms demo`). lms.demo adds the evaluations' answers
# (lms.demo_evaluations).
PAST_EDITION_EXTRAS: dict[str, Callable[[Course, list[User], random.Random], str]] = {}


@dataclass
class Person:
    user: User
    skill: float  # chance of knowing an answer before the module
    learns: float  # how much the module adds to it


def populate_past_edition(slug: str = "eip-2023", seed: int = SEED, trainer_email: str = "",
                          demo_learner_email: str = "") -> str:  # fmt: skip
    """Fill the past edition with learners (see the module's docstring)."""
    course = db.session.scalar(
        select(Course)
        .where(Course.slug == slug)
        .options(selectinload(Course.modules).selectinload(Module.runs))
    )
    if course is None:
        return "missing"
    if db.session.scalar(select(func.count(Registration.id)).where(Registration.course_id == course.id)):
        return "has learners, left as it is"
    rng = random.Random(seed)  # noqa: S311  # nosec B311 (demo data must repeat from its seed)
    trainer = find_user_by_email(trainer_email) if trainer_email else None
    people = make_people(rng, demo_learner_email)
    runs = register(course, people, rng)
    attended = mark_attendance(course, people, runs, rng, trainer)
    quizzes = {(quiz.module_id, quiz.purpose): quiz for quiz in _quizzes(course)}
    waiting = {person.user.id for person in people[1 : 1 + ESSAYS_WAITING]}  # never the demo learner
    take_quizzes(course, people, runs, attended, quizzes, rng, trainer, waiting)
    issued = issue_certificates(course, [person.user.id for person in people])
    return f"{len(people)} learners, {issued} certificates, {len(waiting)} essays waiting"


def run_extras(slug: str = "eip-2023", seed: int = SEED) -> list[str]:
    """Run each of PAST_EDITION_EXTRAS on the edition; one line each for the demo's output."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not PAST_EDITION_EXTRAS:
        return []
    learners = list(
        db.session.scalars(
            select(User)
            .join(Registration, Registration.user_id == User.id)
            .where(Registration.course_id == course.id, Registration.status == RegistrationStatus.ACTIVE)
            .order_by(Registration.id)
        )
    )
    lines = []
    for name, part in PAST_EDITION_EXTRAS.items():
        rng = random.Random(f"{seed}:{name}")  # noqa: S311  # nosec B311 (demo data must repeat from its seed)
        lines.append(f"course {slug} {name}: {part(course, learners, rng)}")
    return lines


def make_people(rng: random.Random, demo_learner_email: str) -> list[Person]:
    """The demo learner (if given) first, then the generated learners, by number."""
    people = []
    demo = find_user_by_email(demo_learner_email) if demo_learner_email else None
    if demo is not None:
        people.append(Person(demo, 0.45, 0.5))  # a learner who does well, and completes
    for number in range(1, LEARNERS + 1 - len(people)):
        gender = _weighted(rng, {"female": 50, "male": 46, "undisclosed": 3, "other": 1})
        names = (
            MIDDLE["male" if gender == "male" else "female"],
            GIVEN["male" if gender == "male" else "female"],
        )
        if gender in ("undisclosed", "other"):
            names = MIDDLE[rng.choice(["female", "male"])], GIVEN[rng.choice(["female", "male"])]
        full_name = f"{rng.choice(FAMILY)} {rng.choice(names[0])} {rng.choice(names[1])}"
        province = _weighted(rng, PROVINCES)
        kind = _weighted(rng, ORGANISATION_TYPES)
        organisation = rng.choice(ORGANISATIONS[kind]).format(province=PROVINCE_NAMES[province] or "Hà Nội")
        user = create_user(
            f"{_ascii(full_name)}.{number:03d}@learners.example.org",
            full_name,
            organisation=organisation,
            organisation_type=kind,
            job_title=rng.choice(JOB_TITLES),
            province=province,
            gender=gender,
            locale="en" if province == "abroad" else "vi",
        )
        people.append(Person(user, rng.uniform(0.2, 0.65), rng.uniform(0.2, 0.45)))
    return people


def register(course: Course, people: list[Person], rng: random.Random) -> dict[tuple[int, int], Run]:
    """Registrations between 1 July and 19 August 2023, a seat in one run of each module."""
    opened = datetime(2023, 7, 1, 2, 0, tzinfo=UTC)
    registrations, choices, runs = [], [], {}
    for person in people:
        at = opened + timedelta(minutes=rng.randrange(0, 49 * 24 * 60))
        registrations.append({"course_id": course.id, "user_id": person.user.id, "created_at": at,
                              "privacy_accepted_at": at, "status": RegistrationStatus.ACTIVE})  # fmt: skip
    db.session.execute(insert(Registration), registrations)
    ids = dict(db.session.execute(select(Registration.user_id, Registration.id).where(
        Registration.course_id == course.id)).all())  # fmt: skip
    for person, registration in zip(people, registrations, strict=True):
        for module in course.modules:
            run = rng.choice(module.runs)
            run.taken += 1
            runs[(person.user.id, module.id)] = run
            choices.append({"registration_id": ids[person.user.id], "user_id": person.user.id,
                            "module_id": module.id, "run_id": run.id, "status": ChoiceStatus.CONFIRMED,
                            "created_at": registration["created_at"],
                            "confirmed_at": registration["created_at"]})  # fmt: skip
    db.session.execute(insert(RunChoice), choices)
    return runs


def mark_attendance(course, people, runs, rng, trainer) -> set[tuple[int, int]]:
    """Marks as a video-call report would give them; (learner, module) of those present or late."""
    rows, attended = [], set()
    for person in people:
        for module in course.modules:
            run = runs[(person.user.id, module.id)]
            status = AttendanceStatus.PRESENT if person is people[0] else _weighted(rng, dict(MARKS))
            minutes = {AttendanceStatus.PRESENT: rng.randint(100, 120), AttendanceStatus.LATE: rng.randint(50, 90),
                       AttendanceStatus.ABSENT: None, AttendanceStatus.EXCUSED: None}[status]  # fmt: skip
            rows.append({"run_id": run.id, "user_id": person.user.id, "status": status, "minutes": minutes,
                         "source": "zoom" if minutes else "manual", "note": "",
                         "marked_by_id": getattr(trainer, "id", None),
                         "marked_at": run.ends_at + timedelta(hours=2)})  # fmt: skip
            if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
                attended.add((person.user.id, module.id))
    db.session.execute(insert(Attendance), rows)
    return attended


def take_quizzes(course, people, runs, attended, quizzes, rng, trainer, waiting) -> None:
    """Pre-tests before the run (most learners), quizzes after it (those who attended);
    answers scored by the quizzes' own rule."""
    attempts, answers = [], []
    for module in course.modules:
        pretest, quiz = (
            quizzes.get((module.id, QuizPurpose.PRETEST)),
            quizzes.get((module.id, QuizPurpose.MODULE)),
        )
        for person in people:
            user_id, run = person.user.id, runs[(person.user.id, module.id)]
            if pretest is not None and (person is people[0] or rng.random() < 0.85):
                started = run.starts_at - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
                _attempt(attempts, answers, pretest, user_id, 1, started, person.skill, rng, trainer, False)
            if quiz is None or (user_id, module.id) not in attended:
                continue
            if person is not people[0] and rng.random() < 0.04:
                continue  # attended but never took the quiz
            started = run.ends_at + timedelta(days=rng.randint(0, 6), minutes=rng.randint(0, 600))
            chance = min(person.skill + person.learns, 0.97)
            essay_waits = user_id in waiting and any(
                q.kind == QuestionKind.ESSAY for q in quiz.active_questions
            )
            passed = _attempt(attempts, answers, quiz, user_id, 1, started, chance, rng, trainer, essay_waits)
            if not passed and not essay_waits and quiz.attempts_allowed != 1:
                _attempt(attempts, answers, quiz, user_id, 2, started + timedelta(days=1), min(chance + 0.15, 0.97),
                         rng, trainer, False)  # fmt: skip
    ids = db.session.scalars(
        insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True), attempts
    ).all()
    for row in answers:
        row["attempt_id"] = ids[row.pop("attempt_index")]
    db.session.execute(insert(Answer), answers)


def _attempt(attempts, answers, quiz, user_id, number, started, chance, rng, trainer, essay_waits) -> bool:
    """One submitted attempt (graded, or waiting for its essay); True when it passed."""
    index, submitted = len(attempts), started + timedelta(minutes=rng.randint(6, 18))
    points, scores = [], []
    for question in quiz.active_questions:
        snapshot = question.snapshot()
        response = _response(snapshot, rng.random() < chance, rng)
        score = score_answer(snapshot, response)
        manual = None
        if snapshot["kind"] == QuestionKind.ESSAY and not essay_waits:
            manual = round(float(snapshot["points"]) * min(chance + rng.uniform(-0.2, 0.2), 1.0) * 2) / 2
            manual = max(manual, 0.0)
        points.append(float(snapshot["points"]))
        scores.append(manual if snapshot["kind"] == QuestionKind.ESSAY else score)
        answers.append({"attempt_index": index, "question_id": question.id, "snapshot": snapshot,
                        "response": response, "saved_at": submitted, "auto_score": score, "manual_score": manual,
                        "grader_feedback": "", "graded_by_id": getattr(trainer, "id", None) if manual is not None else None,
                        "graded_at": submitted + timedelta(days=2) if manual is not None else None})  # fmt: skip
    score, maximum, percent = totals(points, scores)
    graded = not essay_waits
    passed = graded and percent >= quiz.pass_mark
    attempts.append({"quiz_id": quiz.id, "user_id": user_id, "number": number,
                     "status": AttemptStatus.GRADED if graded else AttemptStatus.AWAITING_GRADING,
                     "started_at": started, "submitted_at": submitted, "submitted_by": "learner",
                     "graded_at": submitted + timedelta(days=2) if graded else None,
                     "score": score if graded else None, "max_score": maximum,
                     "percent": percent if graded else None, "passed": passed if graded else None,
                     "layout": {"questions": [q.id for q in quiz.active_questions],
                                "options": {str(q.id): [o["key"] for o in q.options] for q in quiz.active_questions}},
                     "deadline_at": None})  # fmt: skip
    return passed


def _response(snapshot: dict, knows: bool, rng: random.Random):
    """What a learner who knows (or does not know) the answer gives."""
    kind, options = snapshot["kind"], snapshot.get("options", [])
    right = [option["key"] for option in options if option.get("correct")]
    wrong = [option["key"] for option in options if not option.get("correct")]
    if kind == QuestionKind.SINGLE:
        return right[0] if knows else rng.choice(wrong)
    if kind == QuestionKind.MULTIPLE:
        return sorted(right) if knows else sorted(set(rng.sample(right, 1) + rng.sample(wrong, 1)))
    if kind == QuestionKind.TRUE_FALSE:
        return snapshot["answer"]["value"] if knows else not snapshot["answer"]["value"]
    if kind == QuestionKind.SHORT:
        accepted = snapshot["answer"]["accepted"]
        return (accepted.get("vi") or accepted.get("en"))[0] if knows else "không rõ"
    return rng.choice(ESSAYS)


def issue_certificates(course: Course, user_ids: list[int]) -> int:
    """A certificate for every learner the completion rule says completed, dated after
    the last run; codes from the certificates' own generator."""
    module_ids = [module.id for module in course.modules]
    progress = edition_progress(course, user_ids, load_evidence(course, user_ids))
    names = dict(db.session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids))).all())
    issued_at = max(run.ends_at for run in course.runs) + timedelta(days=10)
    rows = [{"code": new_code(), "user_id": user_id, "course_id": course.id, "learner_name": names[user_id],
             "status": CertificateStatus.VALID, "issued_at": issued_at}
            for user_id in user_ids if progress[user_id].complete(module_ids)]  # fmt: skip
    if rows:
        db.session.execute(insert(Certificate), rows)
    return len(rows)


def _quizzes(course: Course) -> list[Quiz]:
    return list(
        db.session.scalars(
            select(Quiz)
            .join(Module, Module.id == Quiz.module_id)
            .where(Module.course_id == course.id)
            .options(selectinload(Quiz.questions))
            .order_by(Quiz.id)
        )
    )


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return ".".join("".join(c for c in plain if not unicodedata.combining(c)).lower().split())
