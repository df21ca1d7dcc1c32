"""Numbers nobody's database column can hold, in every address and every number field.

- Addresses: every rule of the app with an ``<int:...>`` part (found in the URL map,
  not listed by hand) is requested with ids of 2**31, 2**63 (SQLite's driver overflowed
  with a 500), 2**64, numbers of thousands of digits (Python's ``int`` refuses more
  than 4,300) and other scripts' digits: the rule must not match (404), by GET and by
  POST with a valid CSRF token wherever the rule takes them. The largest id an INTEGER
  column holds reaches the views, which must answer without a 5xx.
- Forms: every number field declared in ``lms/**/forms.py`` refuses such input with a
  form error; and every form on every page (as organiser and as learners) is sent with
  each of its number fields, and each field whose value is an id, replaced by 5,000
  digits: never a 5xx, and a typed number field is refused with a visible error and
  nothing saved.

Both run on SQLite and PostgreSQL (the ``app`` fixture).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DecimalField, FloatField, IntegerField
from wtforms.fields.core import UnboundField

from lms.db import MAX_INTEGER, parse_integer
from lms.numbers import IntegerConverter, digits_up_to
from lms.quizzes.models import QuestionKind
from tests.core.test_access_matrix import OVERRIDES, build_world
from tests.core.test_fuzz import row_counts

ROOT = Path(__file__).resolve().parents[2]
INT_ARGUMENT = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")
PLACEHOLDER = 7654321  # stands for the id under test while the URL is built

FIVE_THOUSAND_DIGITS = "9" * 5000

# No INTEGER column holds these, or they are not ASCII digits: the address is not found.
NOT_AN_ID = {
    "2**31": str(2**31),
    "2**63 - 1": str(2**63 - 1),
    "2**63": str(2**63),
    "2**64": str(2**64),
    "4,301 digits": "1" + "0" * 4300,
    "5,000 digits": FIVE_THOUSAND_DIGITS,
    "negative": "-1",
    "Arabic-Indic digits": "١٢",
    "superscript two": "²",
    "fullwidth digits": "１２",
}
# Ids that fit: the rule matches and the view looks them up (nothing has them).
UNKNOWN_IDS = {"the largest INTEGER": str(MAX_INTEGER), "zero": "0"}

NOT_A_NUMBER_FIELD_VALUE = [
    FIVE_THOUSAND_DIGITS,
    "-" + FIVE_THOUSAND_DIGITS,
    "1" + "0" * 4300,
    str(2**63),
    str(2**31),
    "1e5000",
    "NaN",
    "sNaN",
    "-Infinity",
    "²",
    "١٢",
]


# -- addresses -------------------------------------------------------------------------------


def int_rules(app) -> list[tuple[object, list[str]]]:
    """(rule, names of its int arguments) for every rule with one."""
    found = []
    for rule in app.url_map.iter_rules():
        names = INT_ARGUMENT.findall(rule.rule)
        if names:
            found.append((rule, names))
    return found


def url_with(rule, values: dict, argument: str, text: str) -> str:
    """The rule's address with ``text`` in place of ``argument``, real values elsewhere."""
    route_overrides = {}
    for method in rule.methods:
        route_overrides |= OVERRIDES.get(f"{method} {rule.rule}", {})
    arguments = {}
    for name in rule.arguments:
        source = route_overrides.get(name, name)
        arguments[name] = values.get(source, source)
    arguments[argument] = PLACEHOLDER
    _, path = rule.build(arguments, append_unknown=False)
    assert path.count(str(PLACEHOLDER)) == 1, path
    return path.replace(str(PLACEHOLDER), quote(text, safe="-"))


def requests_of(rule) -> list[str]:
    return [method for method in ("GET", "POST") if method in rule.methods]


def test_the_app_uses_the_strict_converter(app):
    assert app.url_map.converters["int"] is IntegerConverter
    rules = int_rules(app)
    assert len(rules) >= 30  # the test is not vacuous (37 rules in November 2026)
    for rule, names in rules:
        for name in names:
            assert isinstance(rule._converters[name], IntegerConverter), rule.rule


@pytest.mark.parametrize("limit", [0, 7, 9, 10, 19, 99, 100, 255, 1000, 2047, 3050, MAX_INTEGER])
def test_the_converters_expression_takes_exactly_the_numbers_up_to_its_limit(limit):
    expression = re.compile(digits_up_to(limit) + r"\Z")
    numbers = [*range(min(limit * 3 + 30, 4000)), limit - 1, limit, limit + 1, 10 * limit, 2**63]
    for number in numbers:
        if number >= 0:
            assert (expression.match(str(number)) is not None) == (number <= limit), number
    assert expression.match("000" + str(limit))
    for text in ("", "-1", "+1", "١", "²", "１", "1 ", "0x1"):
        assert expression.match(text) is None, text


def test_ids_out_of_range_in_any_address_are_not_found(app, db):
    world = build_world(app)
    organiser = app.test_client()
    organiser.sign_in(world.emails["organiser"])
    token = organiser.csrf_token()
    wrong = []
    for rule, names in int_rules(app):
        for name in names:
            for label, text in NOT_AN_ID.items():
                path = url_with(rule, world.values, name, text)
                for method in requests_of(rule):
                    if method == "GET":
                        response = organiser.get(path)
                    else:
                        response = organiser.post(path, data={"csrf_token": token})
                    if response.status_code != 404:
                        wrong.append(f"{method} {rule.rule} {name}={label}: {response.status_code}")
                    response.close()
    assert not wrong, "\n".join(wrong)


def test_unknown_ids_that_fit_reach_the_views_without_a_server_error(app, db):
    world = build_world(app)
    organiser = app.test_client()
    organiser.sign_in(world.emails["organiser"])
    token = organiser.csrf_token()
    wrong = []
    for rule, names in int_rules(app):
        for name in names:
            for label, text in UNKNOWN_IDS.items():
                path = url_with(rule, world.values, name, text)
                for method in requests_of(rule):
                    if method == "GET":
                        response = organiser.get(path)
                    else:
                        response = organiser.post(path, data={"csrf_token": token})
                    if response.status_code >= 500:
                        wrong.append(f"{method} {rule.rule} {name}={label}: {response.status_code}")
                    response.close()
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("000042", 42),
        (str(MAX_INTEGER), MAX_INTEGER),
        ("0" * 5000 + "7", 7),
        (str(MAX_INTEGER + 1), None),
        (str(2**63), None),
        (FIVE_THOUSAND_DIGITS, None),
        ("1" + "0" * 4300, None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1_000", None),
        ("²", None),
        ("١٢", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_integer(text, expected):
    assert parse_integer(text) == expected


def test_parse_integer_signed():
    assert parse_integer("-5", signed=True) == -5
    assert parse_integer(str(-(2**31)), signed=True) == -(2**31)
    assert parse_integer(str(-(2**31) - 1), signed=True) is None
    assert parse_integer("-" + FIVE_THOUSAND_DIGITS, signed=True) is None
    assert parse_integer("-", signed=True) is None
    assert parse_integer("--5", signed=True) is None


# -- number fields, one by one ------------------------------------------------------------------

NUMBER_FIELDS = (IntegerField, DecimalField, FloatField)


def declared_number_fields() -> dict[str, UnboundField]:
    """ "module.Form.field" -> the field as declared, for every form in lms/**/forms.py."""
    found = {}
    for path in sorted((ROOT / "lms").rglob("forms.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for form in vars(module).values():
            if not (isinstance(form, type) and issubclass(form, FlaskForm)):
                continue
            if form.__module__ != module.__name__:
                continue
            for name in dir(form):
                value = getattr(form, name)
                if isinstance(value, UnboundField) and issubclass(value.field_class, NUMBER_FIELDS):
                    found[f"{module.__name__}.{form.__qualname__}.{name}"] = value
    return found


def test_every_number_field_refuses_what_no_column_holds(app):
    declared = declared_number_fields()
    assert len(declared) >= 10, sorted(declared)  # organise, enrollment and quiz forms
    wrong = []
    with app.test_request_context("/", method="POST"):
        for where, unbound in declared.items():
            form_class = type("OneField", (FlaskForm,), {"number": unbound})
            for text in NOT_A_NUMBER_FIELD_VALUE:
                form = form_class(formdata=MultiDict({"number": text}), meta={"csrf": False})
                if form.validate() or not form.number.errors:
                    wrong.append(f"{where} took {text[:20]!r} as {form.number.data!r}")
                form.number()  # shown again as typed, without an exception
    assert not wrong, "\n".join(wrong)


# -- every form on every page ----------------------------------------------------------------------


@dataclass
class Control:
    name: str
    kind: str  # input type, "select" or "textarea"
    value: str
    numeric: bool  # typed as a number (type=number, inputmode numeric or decimal)
    on: bool = True  # checkboxes and radios: ticked
    options: list[str] = field(default_factory=list)  # a select's


@dataclass
class Form:
    action: str
    method: str
    controls: list[Control] = field(default_factory=list)

    def pairs(self, replaced: Control | None = None, text: str = "") -> list[tuple[str, str]]:
        """What a browser sends, with ``replaced``'s value swapped for ``text``."""
        sent, buttons = [], []
        for control in self.controls:
            value = text if control is replaced else control.value
            if control.kind in ("submit", "button", "image"):
                buttons.append((control.name, value))
            elif control.kind in ("checkbox", "radio"):
                if control.on or control is replaced:
                    sent.append((control.name, value))
            elif control.kind != "file":
                sent.append((control.name, value))
        return sent + buttons[-1:]  # the main button (the last one) is pressed


class Forms(HTMLParser):
    """The POST forms of a page with their controls, as a browser would send them."""

    def __init__(self, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: Control | None = None
        self.textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            method = attributes.get("method", "get").lower()
            self.current = Form(attributes.get("action") or self.page_path, method)
            self.forms.append(self.current)
            return
        if self.current is None or "disabled" in attributes:
            return
        name = attributes.get("name")
        numeric = attributes.get("type") == "number" or attributes.get("inputmode") in ("numeric", "decimal")
        if tag in ("input", "button") and name:
            kind = attributes.get("type", "text" if tag == "input" else "submit").lower()
            value = attributes.get("value", "on" if kind in ("checkbox", "radio") else "")
            on = "checked" in attributes if kind in ("checkbox", "radio") else True
            self.current.controls.append(Control(name, kind, value, numeric, on))
        elif tag == "select" and name:
            self.select = Control(name, "select", "", numeric)
            self.current.controls.append(self.select)
        elif tag == "option" and self.select is not None:
            value = attributes.get("value", "")
            # the selected option; none selected or an empty one: the first one filled in
            if "selected" in attributes or not self.select.value:
                self.select.value = value
            self.select.options.append(value)
        elif tag == "textarea" and name:
            self.textarea = Control(name, "textarea", "", numeric)
            self.current.controls.append(self.textarea)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def post_forms(html: str, page_path: str) -> list[Form]:
    parser = Forms(page_path)
    parser.feed(html)
    return [form for form in parser.forms if form.method == "post"]


def ids_of(form: Form) -> list[Control]:
    """Controls whose value is an id (hidden fields, checkboxes, options of a select)."""
    return [
        control
        for control in form.controls
        if control.name != "csrf_token"
        and not control.numeric
        and control.kind not in ("submit", "button", "image")
        and any(value.isascii() and value.isdigit() for value in [control.value, *control.options])
    ]


def html_pages(app, world) -> list[str]:
    """Every page the app serves by GET, with real values; and a new question of each kind."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        overrides = OVERRIDES.get(f"GET {rule.rule}", {})
        arguments = {
            name: world.values.get(overrides.get(name, name), overrides.get(name, name))
            for name in rule.arguments
        }
        paths.append(rule.build(arguments, append_unknown=False)[1])
    quiz = world.values["quiz_id"]
    paths += [f"/teach/quizzes/{quiz}/questions/new/{kind.value}" for kind in QuestionKind]
    return sorted(set(paths))


def refusal_shown(client, response, control: Control) -> bool:
    """The form again with an error next to the field, or a page with an error message."""
    if response.status_code in (302, 303):
        response = client.get(urlsplit(response.headers["Location"]).path)
    page = response.get_data(as_text=True)
    return response.status_code == 200 and (f'id="{control.name}-error"' in page or "flash-error" in page)


def test_every_number_field_on_every_page_refuses_five_thousand_digits(app, db):
    world = build_world(app)
    wrong, seen_numbers = [], set()
    for visitor in ("organiser", "learner", "other learner"):
        client = app.test_client()
        client.sign_in(world.emails[visitor])
        forms = {}
        for path in html_pages(app, world):
            response = client.get(path)
            if response.status_code == 200 and response.mimetype == "text/html":
                for form in post_forms(response.get_data(as_text=True), path):
                    forms.setdefault((form.action, tuple(c.name for c in form.controls)), form)
            response.close()
        for form in forms.values():
            numbers = [control for control in form.controls if control.numeric]
            for control in numbers + ids_of(form):
                before = row_counts()
                body = urlencode(form.pairs(control, FIVE_THOUSAND_DIGITS))
                response = client.post(
                    form.action, data=body, content_type="application/x-www-form-urlencoded"
                )
                where = f"{visitor}: POST {form.action} {control.name}=<5,000 digits>"
                if response.status_code >= 500:
                    wrong.append(f"{where}: {response.status_code}")
                elif control in numbers:
                    seen_numbers.add(re.sub(r"-\d+$", "", control.name))
                    if not refusal_shown(client, response, control):
                        wrong.append(f"{where}: {response.status_code} without a visible refusal")
                    elif row_counts() != before:
                        wrong.append(f"{where}: refused, yet rows were saved")
                response.close()
    assert not wrong, "\n".join(wrong)
    declared = {where.rsplit(".", 1)[1] for where in declared_number_fields()}
    assert declared <= seen_numbers, f"number fields on no page: {sorted(declared - seen_numbers)}"
