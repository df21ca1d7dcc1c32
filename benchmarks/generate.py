"""A large edition for benchmarks: one course from content/eip-2023, N learners with
Vietnamese names and profiles, registrations, run choices, attendance, quiz attempts
and certificates.

    .venv/bin/python -m benchmarks.generate --learners 10000 [--slug bench-10k] [--seed 7]

The database is ``LMS_DATABASE_URL`` (PostgreSQL or SQLite); without it, SQLite in
``instance/benchmark.sqlite3``, so the demo database is left alone. The schema is
upgraded first. An edition that already exists under the slug is reused as it is
(``--fresh`` refuses to reuse and asks for a new slug instead of deleting anything).

Rows go in with bulk INSERTs (executemany through SQLAlchemy Core), and seats are
given as the services would: a run's ``taken`` equals its confirmed choices, nobody
exceeds a capacity, and whoever finds both runs of a module full waits on the first.
Capacities are raised so that about 3 % of the learners end up waiting.
``generate()`` is the reusable part: later load benchmarks call it with their own app.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content" / "eip-2023"
CHUNK = 2000  # rows per executemany: bounded memory, few round trips

FAMILY_NAMES = [  # with rough shares in the population
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 4), ("Huỳnh", 3), ("Phan", 4),
    ("Vũ", 3), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 1),
    ("Lý", 1), ("Đinh", 1), ("Trịnh", 1), ("Mai", 1), ("Lương", 1),
]  # fmt: skip
MIDDLE_NAMES = {
    "female": ["Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng", "Phương", "Thùy", "Mai", "Bảo", "Kim"],
    "male": ["Văn", "Hữu", "Minh", "Quốc", "Đức", "Thanh", "Công", "Xuân", "Trọng", "Anh", "Gia"],
}
GIVEN_NAMES = {
    "female": ["Hương", "Lan", "Linh", "Trang", "Hà", "Ngọc", "Thảo", "Huyền", "Mai", "Hạnh", "Yến", "Nhung",
               "Phương", "Vy", "Anh", "Giang", "Thủy", "Hằng", "Loan", "Quỳnh", "Châu", "Diệp", "Oanh", "My"],
    "male": ["Bảo", "Dũng", "Hùng", "Minh", "Nam", "Tuấn", "Hải", "Long", "Sơn", "Phúc", "Quang", "Thắng",
             "Khoa", "Trung", "Vinh", "Đạt", "Hiếu", "Khánh", "Tùng", "Lâm", "Huy", "Kiên", "Thịnh", "An"],
}  # fmt: skip
ORGANISATIONS = {
    "park_management_board": ["Ban quản lý các khu công nghiệp {p}", "Ban quản lý Khu kinh tế {p}"],
    "provincial_government": ["Sở Kế hoạch và Đầu tư {p}", "Sở Tài nguyên và Môi trường {p}", "UBND tỉnh {p}"],
    "national_government": ["Vụ Quản lý các khu kinh tế, Bộ Tài chính", "Bộ Công Thương", "Bộ Nông nghiệp và Môi trường"],
    "park_developer": ["Công ty CP Phát triển KCN {p}", "Tổng công ty Đầu tư hạ tầng KCN {p}"],
    "enterprise": ["Công ty TNHH Dệt may {p}", "Công ty CP Thép {p}", "Công ty TNHH Điện tử {p}", "Nhà máy giấy {p}"],
    "consultancy": ["Công ty Tư vấn Môi trường Xanh", "Trung tâm Sản xuất sạch hơn Việt Nam"],
    "research": ["Trường Đại học Bách khoa {p}", "Viện Chiến lược, Chính sách tài nguyên và môi trường"],
    "international": ["UNIDO Việt Nam", "GIZ Việt Nam"],
    "ngo": ["Trung tâm Phát triển bền vững", "Mạng lưới Doanh nghiệp xanh"],
    "other": ["Tự do", "Hiệp hội Doanh nghiệp {p}"],
}  # fmt: skip
ORGANISATION_SHARES = [
    ("park_management_board", 24), ("provincial_government", 16), ("enterprise", 22), ("park_developer", 9),
    ("national_government", 6), ("consultancy", 7), ("research", 7), ("international", 3), ("ngo", 3), ("other", 3),
]  # fmt: skip
PROVINCES = [
    ("ha-noi", "Hà Nội", 14), ("ho-chi-minh", "TP. Hồ Chí Minh", 14), ("hai-phong", "Hải Phòng", 9),
    ("da-nang", "Đà Nẵng", 6), ("bac-ninh", "Bắc Ninh", 7), ("dong-nai", "Đồng Nai", 8), ("can-tho", "Cần Thơ", 4),
    ("quang-ninh", "Quảng Ninh", 5), ("thanh-hoa", "Thanh Hóa", 4), ("nghe-an", "Nghệ An", 4),
    ("hung-yen", "Hưng Yên", 5), ("tay-ninh", "Tây Ninh", 4), ("thai-nguyen", "Thái Nguyên", 3),
    ("ninh-binh", "Ninh Bình", 3), ("khanh-hoa", "Khánh Hòa", 2), ("quang-ngai", "Quảng Ngãi", 2),
    ("abroad", "", 1),
]  # fmt: skip
JOB_TITLES = ["Chuyên viên", "Chuyên viên môi trường", "Trưởng phòng", "Phó Trưởng ban", "Kỹ sư", "Giám đốc",
              "Cán bộ quản lý", "Nghiên cứu viên", "Phó Giám đốc", "Trưởng nhóm"]  # fmt: skip
ATTENDANCE_SHARES = [("present", 78), ("late", 9), ("absent", 10), ("excused", 3)]
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass
class GenerationReport:
    slug: str
    reused: bool
    learners: int = 0
    registrations: int = 0
    choices: int = 0
    waiting: int = 0
    marks: int = 0
    attempts: int = 0
    certificates: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        if self.reused:
            return [
                f"edition {self.slug}: exists with {self.learners} learners, reused ({self.seconds:.1f} s)"
            ]
        return [
            f"edition {self.slug}: {self.learners} learners, {self.registrations} registrations, "
            f"{self.choices} run choices ({self.waiting} waiting), {self.marks} attendance marks, "
            f"{self.attempts} quiz attempts, {self.certificates} certificates in {self.seconds:.1f} s"
        ]


def weighted(rng: random.Random, table):
    return rng.choices([row[0] for row in table], weights=[row[-1] for row in table])[0]


def person(rng: random.Random, index: int, slug: str) -> dict:
    gender = rng.choices(["female", "male", "other", "undisclosed"], weights=[50, 46, 1, 3])[0]
    names_of = gender if gender in ("female", "male") else rng.choice(["female", "male"])
    family = weighted(rng, FAMILY_NAMES)
    name = f"{family} {rng.choice(MIDDLE_NAMES[names_of])} {rng.choice(GIVEN_NAMES[names_of])}"
    kind = weighted(rng, ORGANISATION_SHARES)
    province, province_name, _share = PROVINCES[
        rng.choices(range(len(PROVINCES)), weights=[row[2] for row in PROVINCES])[0]
    ]
    organisation = rng.choice(ORGANISATIONS[kind]).format(p=province_name or "Việt Nam")
    return {
        "email": f"{slug}.learner{index:05d}@bench.example.org",
        "full_name": name,
        "password_hash": None,
        "organisation": organisation,
        "organisation_type": kind,
        "job_title": rng.choice(JOB_TITLES),
        "province": province,
        "gender": gender,
        "locale": "en" if province == "abroad" or rng.random() < 0.04 else "vi",
        "timezone": "Europe/Berlin" if province == "abroad" else "Asia/Ho_Chi_Minh",
        "is_active_account": True,
        "session_version": 1,
        "created_at": datetime(2023, 8, 1, tzinfo=UTC) + timedelta(minutes=index),
        "calendar_token": secrets.token_urlsafe(24),
    }


def chunks(rows: list[dict]) -> Iterator[list[dict]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def bulk_insert(db, model, rows: list[dict]) -> None:
    for chunk in chunks(rows):
        db.session.execute(insert(model), chunk)


def ids_by(db, column, key_column, keys) -> dict:
    """{key: id} for the rows just inserted (inserts run as executemany, without RETURNING)."""
    found = {}
    keys = list(keys)
    for start in range(0, len(keys), CHUNK):
        part = keys[start : start + CHUNK]
        found.update(dict(db.session.execute(select(key_column, column).where(key_column.in_(part))).all()))
    return found


def create_edition(slug: str):
    """The 2023 course as a new edition under ``slug``, its runs where they were (in the past,
    so attendance and quizzes make sense)."""
    from lms.course_folders import apply_course, read_course_folder

    spec = read_course_folder(CONTENT)
    edition = spec.rescheduled(
        slug,
        title_suffix={"vi": " (dữ liệu đo hiệu năng)", "en": " (benchmark data)"},
        shift=timedelta(0),
        opens=spec.course.registration_opens_at,
        closes=spec.course.registration_closes_at,
    )
    course, _report = apply_course(edition)
    return course


def generate(app, learners: int, slug: str, seed: int = 7) -> GenerationReport:
    """Create the edition and its learners in the app's database; reuse it if it exists."""
    from lms.catalogue.models import Course
    from lms.extensions import db

    started = time.perf_counter()
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == slug))
        if course_id is not None:
            report = GenerationReport(slug, reused=True, learners=_count_learners(db, course_id))
        else:
            report = _fill(db, learners, slug, random.Random(seed))
            db.session.commit()
    report.seconds = time.perf_counter() - started
    return report


def _count_learners(db, course_id: int) -> int:
    from lms.enrollment.models import Registration

    return db.session.scalar(select(func.count()).where(Registration.course_id == course_id)) or 0


def _fill(db, learners: int, slug: str, rng: random.Random) -> GenerationReport:
    from lms.accounts.models import User, UserRole
    from lms.certificates.models import Certificate
    from lms.enrollment.models import Registration

    report = GenerationReport(slug, reused=False, learners=learners)
    course = create_edition(slug)
    modules = list(course.modules)
    people = [person(rng, index, slug) for index in range(learners)]
    bulk_insert(db, User, people)
    user_ids = ids_by(db, User.id, User.email, [row["email"] for row in people])
    bulk_insert(db, UserRole, [{"user_id": uid, "role": "learner", "granted_at": row["created_at"]}
                               for row, uid in ((row, user_ids[row["email"]]) for row in people)])  # fmt: skip

    # About 3 % of the learners cancel; everyone registered before the deadline.
    closes = course.registration_closes_at
    registrations = []
    for index, row in enumerate(people):
        registered = course.registration_opens_at + (closes - course.registration_opens_at) * (
            index / learners
        )
        cancelled = rng.random() < 0.03
        registrations.append({
            "course_id": course.id, "user_id": user_ids[row["email"]],
            "status": "cancelled" if cancelled else "active",
            "privacy_accepted_at": registered, "created_at": registered,
            "cancelled_at": registered + timedelta(days=2) if cancelled else None,
        })  # fmt: skip
    bulk_insert(db, Registration, registrations)
    registration_ids = ids_by(db, Registration.id, Registration.user_id, list(user_ids.values()))
    report.registrations = len(registrations)

    seats = _choose_runs(db, rng, modules, registrations, registration_ids, report)
    attended = _mark_attendance(db, rng, modules, seats, report)
    passed = _take_quizzes(db, rng, modules, seats, attended, report)
    # Certificates for everyone who attended and passed every module, as the service would.
    complete = [uid for uid, done in passed.items() if len(done & attended.get(uid, set())) == len(modules)]
    rows = [{"code": "".join(rng.choice(CROCKFORD) for _ in range(28)), "user_id": uid, "course_id": course.id,
             "learner_name": name, "status": "valid", "issued_at": modules[-1].runs[-1].ends_at + timedelta(days=3)}
            for uid, name in _names(db, complete)]  # fmt: skip
    bulk_insert(db, Certificate, rows)
    report.certificates = len(rows)
    return report


def _names(db, user_ids: list[int]):
    from lms.accounts.models import User

    for start in range(0, len(user_ids), CHUNK):
        yield from db.session.execute(
            select(User.id, User.full_name).where(User.id.in_(user_ids[start : start + CHUNK]))
        ).all()


def _choose_runs(db, rng, modules, registrations, registration_ids, report) -> dict[int, dict[int, int]]:
    """Each learner picks a run per module (the first a bit more often); a full run sends
    them to the other, both full to the first one's waiting list. Returns the seats
    held in active registrations: {module id: {learner id: run id}}."""
    from lms.catalogue.models import Run
    from lms.enrollment.models import RunChoice

    active = sum(1 for row in registrations if row["status"] == "active")
    # Sized so that roughly 3 % of the active learners find both runs full.
    capacity = max(1, round(active * 0.485))
    seats: dict[int, dict[int, int]] = {module.id: {} for module in modules}
    choices = []
    for module in modules:
        runs = list(module.runs)
        taken = dict.fromkeys((run.id for run in runs), 0)
        for row in registrations:
            user_id = row["user_id"]
            first = runs[0] if len(runs) == 1 or rng.random() < 0.55 else runs[1]
            order = [first] + [run for run in runs if run is not first]
            choice = {"registration_id": registration_ids[user_id], "user_id": user_id, "module_id": module.id,
                      "created_at": row["created_at"], "confirmed_at": None, "ended_at": None}  # fmt: skip
            if row["status"] == "cancelled":
                choices.append(
                    choice | {"run_id": first.id, "status": "cancelled", "ended_at": row["cancelled_at"]}
                )
                continue
            free = next((run for run in order if taken[run.id] < capacity), None)
            if free is None:
                choices.append(choice | {"run_id": first.id, "status": "waiting"})
                report.waiting += 1
                continue
            taken[free.id] += 1
            seats[module.id][user_id] = free.id
            choices.append(
                choice | {"run_id": free.id, "status": "confirmed", "confirmed_at": row["created_at"]}
            )
        for run in runs:
            db.session.execute(
                update(Run).where(Run.id == run.id).values(capacity=capacity, taken=taken[run.id])
            )
    bulk_insert(db, RunChoice, choices)
    report.choices = len(choices)
    return seats


def _mark_attendance(db, rng, modules, seats, report) -> dict[int, set[int]]:
    """A mark for every seat; returns {learner: modules attended (present or late)}."""
    from lms.attendance.models import Attendance

    trainer_of = {run.id: (run.trainers[0].id if run.trainers else None) for m in modules for run in m.runs}
    ends = {run.id: run.ends_at for module in modules for run in module.runs}
    rows = []
    attended: dict[int, set[int]] = {}
    for module in modules:
        for user_id, run_id in seats[module.id].items():
            status = weighted(rng, ATTENDANCE_SHARES)
            if status in ("present", "late"):
                attended.setdefault(user_id, set()).add(module.id)
            minutes = {"present": rng.randint(95, module.duration_minutes), "late": rng.randint(40, 94)}.get(
                status
            )
            source = "manual" if rng.random() < 0.3 else "zoom"
            rows.append({"run_id": run_id, "user_id": user_id, "status": status, "minutes": minutes, "note": "",
                         "source": source, "marked_by_id": trainer_of[run_id],
                         "marked_at": ends[run_id] + timedelta(hours=rng.randint(1, 30))})  # fmt: skip
    bulk_insert(db, Attendance, rows)
    report.marks = len(rows)
    return attended


def _take_quizzes(db, rng, modules, seats, attended, report) -> dict[int, set[int]]:
    """Graded attempts, mostly by those who attended; returns {learner: modules whose quiz they passed}."""
    from lms.quizzes.models import Attempt, Quiz, QuizPurpose

    # The module's own quiz: a module may also have a pre-test, which never counts.
    quizzes = {quiz.module_id: quiz for quiz in db.session.scalars(select(Quiz).where(
        Quiz.module_id.in_([module.id for module in modules]), Quiz.purpose == QuizPurpose.MODULE))}  # fmt: skip
    ends = {run.id: run.ends_at for module in modules for run in module.runs}
    done: dict[int, set[int]] = {}
    rows = []
    for module in modules:
        quiz = quizzes.get(module.id)
        for user_id, run_id in seats[module.id].items():
            takes = 0.95 if module.id in attended.get(user_id, ()) else 0.3
            if quiz is None or rng.random() > takes:
                continue
            passed = False
            for number in range(1, (quiz.attempts_allowed or 3) + 1):
                percent = round(min(100.0, max(0.0, rng.gauss(82, 12))), 1)
                passed = percent >= quiz.pass_mark
                submitted = ends[run_id] + timedelta(hours=2 + 24 * (number - 1), minutes=rng.randint(0, 59))
                rows.append({"quiz_id": quiz.id, "user_id": user_id, "number": number, "status": "graded",
                             "started_at": submitted - timedelta(minutes=rng.randint(5, 25)),
                             "submitted_at": submitted, "submitted_by": "learner", "graded_at": submitted,
                             "score": percent / 10, "max_score": 10.0, "percent": percent, "passed": passed,
                             "layout": {}})  # fmt: skip
                if passed or rng.random() < 0.5:
                    break
            if passed:
                done.setdefault(user_id, set()).add(module.id)
    bulk_insert(db, Attempt, rows)
    report.attempts = len(rows)
    return done


def benchmark_app():
    """The app on ``LMS_DATABASE_URL``, else on SQLite in instance/benchmark.sqlite3; schema upgraded."""
    from flask_migrate import upgrade

    from lms import create_app

    os.environ.setdefault("LMS_DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'benchmark.sqlite3'}")
    app = create_app()
    with app.app_context():
        upgrade()
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--slug", default=None, help="default: bench-<learners>")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--fresh", action="store_true", help="fail if the edition exists instead of reusing it"
    )
    args = parser.parse_args(argv)
    slug = args.slug or f"bench-{args.learners}"
    app = benchmark_app()
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    report = generate(app, args.learners, slug, args.seed)
    if report.reused and args.fresh:
        print(f"edition {slug} exists already: choose another --slug", file=sys.stderr)
        return 1
    for line in report.lines():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
