"""A whole course folder: the catalogue's part (course, modules, runs, trainers), each
module's quiz and its materials, read and checked in full before anything is written,
then applied in one transaction.

App level: it puts together the parts that three domain packages read and write
(``lms.catalogue.content``, ``lms.quizzes.content``, ``lms.materials.content``), so
none of them needs to know the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from lms.catalogue.content import CourseSpec, LoadReport, ModuleSpec, apply_catalogue, read_catalogue
from lms.catalogue.models import Course
from lms.extensions import db
from lms.materials.content import apply_materials, read_materials
from lms.quizzes.content import apply_quiz, read_pretest, read_quiz
from lms.quizzes.models import QuizPurpose

QUIZ_FILE = "quiz.yaml"
PRETEST_FILE = "pretest.yaml"


@dataclass(frozen=True)
class CourseFolder:
    course: CourseSpec
    quizzes: dict[str, dict] = field(default_factory=dict)  # by module key
    materials: dict[str, tuple] = field(default_factory=dict)  # by module key
    pretests: dict[str, dict] = field(default_factory=dict)  # by module key

    @property
    def modules(self) -> tuple[ModuleSpec, ...]:
        return self.course.modules

    @property
    def first_start(self) -> datetime:
        return self.course.first_start

    def rescheduled(self, slug: str, title_suffix: dict, shift: timedelta, opens: datetime, closes: datetime):
        """The same folder as another edition: new slug, every run moved by ``shift``."""
        course = self.course.rescheduled(slug, title_suffix, shift, opens, closes)
        return CourseFolder(course, self.quizzes, self.materials, self.pretests)


def read_course_folder(folder: Path) -> CourseFolder:
    """Read and check everything; ContentError names the file and field at fault."""
    course = read_catalogue(folder)
    quizzes, materials, pretests = {}, {}, {}
    for module in course.modules:
        quiz_file = module.folder / QUIZ_FILE
        if quiz_file.exists():
            quizzes[module.key] = read_quiz(quiz_file)
        pretest_file = module.folder / PRETEST_FILE
        if pretest_file.exists():
            pretests[module.key] = read_pretest(pretest_file, quizzes.get(module.key))
        materials[module.key] = read_materials(module.folder)
    return CourseFolder(course, quizzes, materials, pretests)


def apply_course(spec: CourseFolder) -> tuple[Course, LoadReport]:
    """Create or update the edition, its quizzes and materials (flushes; caller commits)."""
    course, report = apply_catalogue(spec.course)
    db.session.flush()  # quizzes and materials refer to their module by id
    for module in course.modules:
        if module.key in spec.quizzes:
            apply_quiz(module, spec.quizzes[module.key], report.changes)
        if module.key in spec.pretests:
            apply_quiz(module, spec.pretests[module.key], report.changes, QuizPurpose.PRETEST)
        apply_materials(module, spec.materials.get(module.key, ()), report)
    return course, report


def load_course_folder(folder: Path) -> LoadReport:
    """Read, check and apply a folder in one transaction; nothing is kept on error."""
    spec = read_course_folder(folder)
    try:
        _, report = apply_course(spec)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report
