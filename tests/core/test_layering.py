"""The layers of lms/ and the direction of their dependencies (README, "How it is built").

Every import of ``lms.X`` inside ``lms/`` (at module level or in a function; not under
``if TYPE_CHECKING:``) is an edge between two parts. An edge may only point to a lower
layer, or, among the domain packages, to a domain ranked lower; never up, and never to a
domain of the same rank (siblings talk through a function of a lower package, or a
signal that ``create_app`` connects).
"""

from __future__ import annotations

import ast
from pathlib import Path

LMS = Path(__file__).resolve().parents[2] / "lms"

FOUNDATION = {
    "config", "db", "extensions", "i18n", "errors", "signals", "urls", "markdown", "files",
    "spreadsheets", "security", "numbers", "deadlines", "health", "mail", "jobs", "audit", "transactions",
    "personal_data", "caching", "qrcodes", "disclosure",
}  # fmt: skip
# Domain packages, lowest first; those in one tuple are siblings of the same rank.
DOMAINS = [
    ("accounts",),
    ("consent",),  # privacy notices and learners' consents (registration needs one)
    ("catalogue",),  # editions, their modules and runs
    ("enrollment",),
    ("materials", "quizzes", "attendance"),
    ("evaluations",),  # open when a learner's run ends; completion may require them
    ("completion", "recordings"),
    ("certificates",),
    ("messages",),  # audiences are built from every domain below
    ("privacy",),  # the learner's rights: data download, deletion, retention
]
PAGES = {"pages", "organise", "reports", "course_folders"}
APP = {"lms", "cli", "demo", "demo_learners", "demo_evaluations", "backup", "serve", "models"}


def layer_of(unit: str) -> tuple[int, int]:
    """(layer, rank within the domain layer) of a part of lms/."""
    if unit in FOUNDATION:
        return (0, 0)
    for rank, siblings in enumerate(DOMAINS):
        if unit in siblings:
            return (1, rank)
    if unit in PAGES:
        return (2, 0)
    if unit in APP:
        return (3, 0)
    raise AssertionError(f"lms/{unit} belongs to no layer: add it to tests/core/test_layering.py")


def unit_of(path: Path) -> str:
    relative = path.relative_to(LMS)
    if len(relative.parts) == 1:
        return "lms" if relative.name == "__init__.py" else relative.stem
    return relative.parts[0]


def imported_units(path: Path) -> list[tuple[str, int]]:
    """(unit, line) of every lms import in the file, TYPE_CHECKING blocks left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "lms" else [f"lms.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "lms":
                found.append((parts[1] if len(parts) > 1 else "lms", node.lineno))
    return found


def wrong_edges() -> list[str]:
    wrong = []
    for path in sorted(LMS.rglob("*.py")):
        source = unit_of(path)
        for target, line in imported_units(path):
            if target == source:
                continue
            here, there = layer_of(source), layer_of(target)
            up = there[0] > here[0] or (there[0] == here[0] == 1 and there[1] >= here[1])
            if up:
                wrong.append(f"{path.relative_to(LMS.parent)}:{line}: {source} -> {target}")
    return wrong


def test_every_part_of_lms_has_a_layer():
    for path in LMS.rglob("*.py"):
        layer_of(unit_of(path))


def test_dependencies_run_down_the_layers_only():
    assert wrong_edges() == []


def test_the_check_sees_a_wrong_edge(tmp_path, monkeypatch):
    # The check itself: an enrollment module importing certificates is reported.
    package = tmp_path / "lms"
    (package / "enrollment").mkdir(parents=True)
    (package / "enrollment" / "x.py").write_text("from lms.certificates.services import issue\n")
    monkeypatch.setattr("tests.core.test_layering.LMS", package)
    assert wrong_edges() == ["lms/enrollment/x.py:1: enrollment -> certificates"]
