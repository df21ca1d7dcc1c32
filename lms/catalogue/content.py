"""Courses as data: the catalogue's part of a content folder (YAML + Markdown).

A folder holds ``course.yaml`` and ``modules/NN-key/`` folders with ``module.yaml`` and
``outline.<locale>.md`` (read here), ``quiz.yaml`` and ``materials/`` (read by the
quizzes and materials packages; ``lms.course_folders`` puts the parts together). The whole folder is read and checked before anything is
written, so a mistake is reported with its file and field and the database is left
as it was. Loading is an upsert by slug and keys: running it twice changes nothing,
and editing the folder then reloading updates texts and times without touching the
learners' registrations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.accounts.services import create_user, find_user_by_email, grant_roles
from lms.catalogue.models import Course, CourseStatus, Module, Run
from lms.deadlines import last_instant
from lms.extensions import db

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
LOCAL_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


class ContentError(Exception):
    """A content folder is not valid; the message names the file and the field."""

    def __init__(self, path: Path, field_name: str, message: str) -> None:
        super().__init__(f"{path}: {field_name}: {message}")
        self.path = path
        self.field = field_name


@dataclass(frozen=True)
class TrainerSpec:
    email: str
    full_name: str
    organisation: str
    timezone: str
    locale: str


@dataclass(frozen=True)
class RunSpec:
    key: str
    label: dict
    starts_at: datetime
    ends_at: datetime
    capacity: int
    join_url: str
    trainer_emails: tuple[str, ...]


@dataclass(frozen=True)
class ModuleSpec:
    key: str
    position: int
    duration_minutes: int
    title: dict
    outline: dict
    objectives: dict
    runs: tuple[RunSpec, ...]
    # The module's folder: its quiz.yaml and materials/ are read by their own packages.
    folder: Path | None = None


@dataclass(frozen=True)
class CourseSpec:
    slug: str
    family: str
    timezone: str
    status: str
    title: dict
    summary: dict
    organisers: dict
    audience: dict
    issuers: dict
    registration_opens_at: datetime
    registration_closes_at: datetime
    change_cutoff_hours: int
    trainers: tuple[TrainerSpec, ...]
    modules: tuple[ModuleSpec, ...] = field(default=())

    def rescheduled(self, slug: str, title_suffix: dict, shift: timedelta, opens: datetime, closes: datetime):
        """A copy as another edition: new slug, every run moved by ``shift``."""
        modules = tuple(
            replace(
                module,
                runs=tuple(
                    replace(run, starts_at=run.starts_at + shift, ends_at=run.ends_at + shift)
                    for run in module.runs
                ),
            )
            for module in self.modules
        )
        title = {locale: text + title_suffix.get(locale, "") for locale, text in self.title.items()}
        return replace(
            self,
            slug=slug,
            title=title,
            modules=modules,
            registration_opens_at=opens,
            registration_closes_at=closes,
        )

    @property
    def first_start(self) -> datetime:
        return min(run.starts_at for module in self.modules for run in module.runs)


# -- reading and checking ------------------------------------------------------


def read_catalogue(folder: Path) -> CourseSpec:
    folder = Path(folder)
    course_file = folder / "course.yaml"
    if not folder.is_dir():
        raise ContentError(folder, "folder", "is not a folder")
    data = read_yaml(course_file)
    reader = Fields(course_file, data)
    tz_name = reader.text("timezone", default="Asia/Ho_Chi_Minh")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ContentError(course_file, "timezone", f"unknown time zone {tz_name!r}") from None
    registration = Fields(course_file, reader.mapping("registration"), prefix="registration.")
    opens = registration.local_time("opens", tz)
    closes = last_instant(registration.local_time("closes", tz))  # "23:59:59" counts to its end
    if closes <= opens:
        raise ContentError(course_file, "registration.closes", "must be after registration.opens")
    trainers = tuple(
        _read_trainer(course_file, index, item)
        for index, item in enumerate(reader.list("trainers", default=[]))
    )
    known_trainers = {trainer.email for trainer in trainers}
    module_folders = sorted(path for path in (folder / "modules").glob("*") if path.is_dir())
    if not module_folders:
        raise ContentError(folder / "modules", "modules", "no module folders found")
    modules = tuple(_read_module(path, tz, known_trainers) for path in module_folders)
    module_files = [path / "module.yaml" for path in module_folders]
    _check_unique("key", [(file, module.key) for file, module in zip(module_files, modules, strict=True)])
    _check_unique(
        "position", [(file, module.position) for file, module in zip(module_files, modules, strict=True)]
    )
    status = reader.text("status", default=CourseStatus.PUBLISHED)
    if status not in {str(s) for s in CourseStatus}:
        raise ContentError(course_file, "status", f"must be one of {', '.join(CourseStatus)}")
    slug = reader.text("slug")
    if not SLUG.match(slug):
        raise ContentError(course_file, "slug", "use lower-case letters, digits and hyphens")
    return CourseSpec(
        slug=slug,
        family=reader.text("family", default=slug),
        timezone=tz_name,
        status=status,
        title=reader.translated("title"),
        summary=reader.translated("summary", required=False),
        organisers=reader.translated("organisers", required=False),
        audience=reader.translated_list("audience", required=False),
        issuers=_issuers(reader),
        registration_opens_at=opens,
        registration_closes_at=closes,
        change_cutoff_hours=reader.integer("change_cutoff_hours", default=24, minimum=0),
        trainers=trainers,
        modules=tuple(sorted(modules, key=lambda module: module.position)),
    )


def _issuers(reader) -> dict:
    """One list per language naming the same organisations in the same order."""
    issuers = reader.translated_list("issuers", required=False)
    if len({len(names) for names in issuers.values()}) > 1:
        reader.fail("issuers", "every language must name the same number of organisations")
    return issuers


def read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(path, "file", "is missing") from None
    except yaml.YAMLError as error:
        raise ContentError(path, "yaml", f"is not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise ContentError(path, "file", "must hold a mapping of fields")
    return data


def _read_trainer(path: Path, index: int, item) -> TrainerSpec:
    reader = Fields(path, item, prefix=f"trainers[{index}].")
    return TrainerSpec(
        email=reader.text("email").lower(),
        full_name=reader.text("full_name"),
        organisation=reader.text("organisation", default=""),
        timezone=reader.text("timezone", default="Asia/Ho_Chi_Minh"),
        locale=reader.text("locale", default="vi"),
    )


def _read_module(folder: Path, tz: ZoneInfo, known_trainers: set[str]) -> ModuleSpec:
    module_file = folder / "module.yaml"
    reader = Fields(module_file, read_yaml(module_file))
    key = reader.text("key")
    if not KEY.match(key):
        raise ContentError(module_file, "key", "use lower-case letters, digits and hyphens")
    duration = reader.integer("duration_minutes", default=120, minimum=1)
    runs = tuple(
        _read_run(module_file, index, item, tz, duration, known_trainers)
        for index, item in enumerate(reader.list("runs"))
    )
    _check_unique("runs.key", [(module_file, run.key) for run in runs])
    outline = {
        path.name.split(".")[1]: path.read_text(encoding="utf-8").strip()
        for path in sorted(folder.glob("outline.*.md"))
    }
    return ModuleSpec(
        key=key,
        position=reader.integer("position", minimum=1),
        duration_minutes=duration,
        title=reader.translated("title"),
        outline=outline,
        objectives=reader.translated_list("objectives", required=False),
        runs=runs,
        folder=folder,
    )


def _read_run(path: Path, index: int, item, tz: ZoneInfo, duration: int, known_trainers: set[str]) -> RunSpec:
    reader = Fields(path, item, prefix=f"runs[{index}].")
    starts = reader.local_time("starts", tz)
    trainers = tuple(str(email).lower() for email in reader.list("trainers", default=[]))
    for email in trainers:
        if email not in known_trainers:
            raise ContentError(
                path, f"runs[{index}].trainers", f"{email} is not listed under trainers in course.yaml"
            )
    return RunSpec(
        key=reader.text("key"),
        label=reader.translated("label", required=False),
        starts_at=starts,
        ends_at=starts + timedelta(minutes=duration),
        capacity=reader.integer("capacity", minimum=0),
        join_url=reader.text("join_url", default=""),
        trainer_emails=trainers,
    )


def _check_unique(field_name: str, values: list[tuple[Path, object]]) -> None:
    """Each value once; a repeat is reported in the file where it appears again."""
    seen: dict[object, Path] = {}
    for path, value in values:
        if value in seen:
            raise ContentError(path, field_name, f"{value!r} is already used in {seen[value]}")
        seen[value] = path


class Fields:
    """Typed access to a YAML mapping, raising ContentError with file and field."""

    def __init__(self, path: Path, data, prefix: str = "") -> None:
        if not isinstance(data, dict):
            raise ContentError(path, prefix.rstrip(".") or "file", "must be a mapping of fields")
        self.path, self.data, self.prefix = path, data, prefix

    def fail(self, name: str, message: str):
        raise ContentError(self.path, self.prefix + name, message)

    def raw(self, name: str, default=..., kind=object):
        if name not in self.data or self.data[name] is None:
            if default is ...:
                self.fail(name, "is required")
            return default
        value = self.data[name]
        if not isinstance(value, kind):
            self.fail(name, f"must be a {_kind_name(kind)}")
        return value

    def text(self, name: str, default=...) -> str:
        value = self.raw(name, default)
        if isinstance(value, (dict, list)):
            self.fail(name, "must be text")
        value = str(value).strip()
        if not value and default is ...:
            self.fail(name, "must not be empty")
        return value

    def integer(self, name: str, default=..., minimum: int | None = None) -> int:
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, "must be a whole number")
        if minimum is not None and value < minimum:
            self.fail(name, f"must be at least {minimum}")
        return value

    def mapping(self, name: str) -> dict:
        return self.raw(name, kind=dict)

    def list(self, name: str, default=...) -> list:
        return self.raw(name, default, kind=list)

    def local_time(self, name: str, tz: ZoneInfo) -> datetime:
        value = self.raw(name)
        if isinstance(value, datetime):
            naive = value.replace(tzinfo=None)
        else:
            naive = _parse_local(str(value))
            if naive is None:
                self.fail(name, f"{value!r} is not a time like 2023-10-10 09:00")
        return naive.replace(tzinfo=tz)

    def translated(self, name: str, required: bool = True) -> dict:
        value = self.raw(name, default=... if required else {}, kind=dict)
        result = {}
        for locale, text in value.items():
            if not isinstance(text, str) or not text.strip():
                self.fail(f"{name}.{locale}", "must be non-empty text")
            result[str(locale)] = text.strip()
        if required and not result:
            self.fail(name, "needs at least one language")
        return result

    def translated_list(self, name: str, required: bool = True) -> dict:
        value = self.raw(name, default=... if required else {}, kind=dict)
        result = {}
        for locale, items in value.items():
            if not isinstance(items, list) or not all(
                isinstance(item, str) and item.strip() for item in items
            ):
                self.fail(f"{name}.{locale}", "must be a list of non-empty texts")
            result[str(locale)] = [item.strip() for item in items]
        return result


def _parse_local(text: str) -> datetime | None:
    for pattern in LOCAL_TIME_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
    return None


def _kind_name(kind) -> str:
    return {dict: "mapping", list: "list"}.get(kind, "value")


# -- writing ---------------------------------------------------------------------


@dataclass
class LoadReport:
    slug: str
    created: bool = False
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.created or bool(self.changes)


def apply_catalogue(spec: CourseSpec) -> tuple[Course, LoadReport]:
    """Create or update the course described by ``spec`` (flushes; caller commits)."""
    report = LoadReport(spec.slug)
    trainers = {trainer.email: _ensure_trainer(trainer, report) for trainer in spec.trainers}
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    if course is None:
        course = Course(slug=spec.slug)
        db.session.add(course)
        report.created = True
    _assign(course, report, f"course {spec.slug}", {
        "family": spec.family,
        "timezone": spec.timezone,
        "status": spec.status,
        "title": spec.title,
        "summary": spec.summary,
        "organisers": spec.organisers,
        "audience": spec.audience,
        "issuers": spec.issuers,
        "registration_opens_at": spec.registration_opens_at,
        "registration_closes_at": spec.registration_closes_at,
        "change_cutoff_hours": spec.change_cutoff_hours,
    })  # fmt: skip
    existing = {module.key: module for module in course.modules}
    for module_spec in spec.modules:
        module = existing.get(module_spec.key)
        if module is None:
            module = Module(key=module_spec.key)
            course.modules.append(module)
            report.changes.append(f"module {module_spec.key} created")
        _apply_module(module, module_spec, trainers, report)
    db.session.flush()
    return course, report


def _apply_module(module: Module, spec: ModuleSpec, trainers: dict[str, User], report: LoadReport) -> None:
    _assign(module, report, f"module {spec.key}", {
        "position": spec.position,
        "duration_minutes": spec.duration_minutes,
        "title": spec.title,
        "outline": spec.outline,
        "objectives": spec.objectives,
    })  # fmt: skip
    existing = {run.key: run for run in module.runs}
    for run_spec in spec.runs:
        run = existing.get(run_spec.key)
        if run is None:
            run = Run(key=run_spec.key, taken=0, sequence=0)
            module.runs.append(run)
            report.changes.append(f"run {spec.key}/{run_spec.key} created")
        elif (run.starts_at, run.ends_at) != (run_spec.starts_at, run_spec.ends_at):
            run.sequence += 1  # calendars must see the new time as an update
        _assign(run, report, f"run {spec.key}/{run_spec.key}", {
            "label": run_spec.label,
            "starts_at": run_spec.starts_at,
            "ends_at": run_spec.ends_at,
            "capacity": max(run_spec.capacity, run.taken or 0),
            "join_url": run_spec.join_url,
        })  # fmt: skip
        wanted = [trainers[email] for email in run_spec.trainer_emails]
        if {user.id for user in run.trainers} != {user.id for user in wanted}:
            run.trainers = wanted
            report.changes.append(f"run {spec.key}/{run_spec.key}: trainers")


def _assign(obj, report: LoadReport, label: str, values: dict) -> None:
    """Set only what differs, so an unchanged folder writes nothing."""
    for name, value in values.items():
        if getattr(obj, name, None) != value:
            setattr(obj, name, value)
            if obj.id is not None:
                report.changes.append(f"{label}: {name}")


def _ensure_trainer(spec: TrainerSpec, report: LoadReport) -> User:
    """Trainers named in content get an account without a password (they set one
    through "forgot password"); an existing account just gains the trainer role."""
    user = find_user_by_email(spec.email)
    if user is None:
        user = create_user(
            spec.email,
            spec.full_name,
            roles=(Role.TRAINER,),
            organisation=spec.organisation,
            timezone=spec.timezone,
            locale=spec.locale,
        )
        report.changes.append(f"trainer {spec.email} created")
    elif not user.has_role(Role.TRAINER):
        grant_roles(user, [Role.TRAINER])
        report.changes.append(f"trainer {spec.email}: role")
    return user
