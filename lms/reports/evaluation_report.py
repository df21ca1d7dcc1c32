"""The evaluations of an edition as a report: charts (inline SVG) with their tables for
the Results page and the printable summary, sheets for the dashboard XLSX, and one long
table for ``lms export evaluations``. Every figure from a group of answers passes
through ``lms.disclosure`` (fewer than five: "fewer than 5")."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from markupsafe import Markup

from lms.accounts.choices import GENDERS, ORGANISATION_TYPES, PROVINCES
from lms.catalogue.models import Course
from lms.db import utcnow
from lms.disclosure import disclosed, is_small
from lms.evaluations.models import ItemKind
from lms.evaluations.results import FormResult, ItemResult, edition_results
from lms.i18n import format_number, tr_text
from lms.reports import charts
from lms.reports.exports import labels, module_name, run_name
from lms.spreadsheets import Table


@dataclass
class ItemFigure:
    result: ItemResult
    title: str
    chart: Markup | None  # None: fewer than five answers, or a free text
    table: Table | None
    mean: str


@dataclass
class FormReport:
    result: FormResult
    key: str
    title: str
    rates: Table
    rate_chart: Markup
    items: list[ItemFigure]
    breakdowns: list[Table] = field(default_factory=list)


def dimension_names() -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "organisation_type": (_("Type of organisation"), labels(ORGANISATION_TYPES)),
        "province": (_("Province"), labels(PROVINCES)),
        "gender": (_("Gender"), labels(GENDERS)),
    }


def form_title(result: FormResult) -> str:
    if result.module is None:
        return _("Follow-up survey")
    return f"{module_name(result.module)}: {tr_text(result.module.title)}"


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _mean_text(result: ItemResult) -> str:
    if result.item.kind != ItemKind.RATING or result.mean is None:
        return ""
    return str(disclosed(result.answers, format_number(result.mean)))


def _point_labels(result: ItemResult) -> list[str]:
    if result.item.kind == ItemKind.RATING:
        return [f"{index} · {tr_text(label)}" for index, label in enumerate(result.item.options, start=1)]
    return [tr_text(option) for option in result.item.options]


def item_figure(result: ItemResult, key: str) -> ItemFigure:
    title = tr_text(result.item.text)
    mean = _mean_text(result)
    if result.item.kind == ItemKind.TEXT:
        return ItemFigure(result, title, None, None, mean)
    names = _point_labels(result)
    header = [_("Answer"), _("Answers"), _("Share (%)")]
    if is_small(result.answers):
        table = Table(title[:31], header, [[name, disclosed(result.answers), None] for name in names])
        return ItemFigure(result, title, None, table, mean)
    rows = [
        [name, count, percent(count, result.answers)]
        for name, count in zip(names, result.counts, strict=False)
    ]
    bars = [
        charts.Bar(name, count, text=f"{format_number(count)} ({format_number(share)} %)")
        for name, count, share in rows
    ]
    description = _(
        "How many answers gave each point or option, of %(num)s answers.", num=format_number(result.answers)
    )
    return ItemFigure(
        result, title, charts.bar_chart(key, title, description, bars), Table(title[:31], header, rows), mean
    )


def rate_table(result: FormResult, course: Course) -> tuple[Table, Markup]:
    header = [_("Run"), _("Could answer"), _("Answered"), _("Response rate (%)")]
    rows = [[run_name(rate.run, course), rate.eligible, rate.answered, percent(rate.answered, rate.eligible)]
            for rate in result.runs]  # fmt: skip
    everyone = _("Follow-up: invited") if result.module is None else _("The whole module")
    rows.append([everyone, result.eligible, result.responses, percent(result.responses, result.eligible)])
    bars = [charts.Bar(str(row[0]), row[3], limit=100, text=f"{format_number(row[3])} %")
            for row in rows]  # fmt: skip
    title = _("Response rate")
    chart = charts.bar_chart(
        f"chart-rate-{result.form.id}", title, _("Share of the learners who could answer and did."), bars
    )
    return Table(_("Response rates"), header, rows), chart


def breakdown_tables(result: FormResult) -> list[Table]:
    """Per dimension: each group's responses and its mean on every rating item."""
    ratings = [item for item in result.items if item.item.kind == ItemKind.RATING]
    tables = []
    for dimension, (column, names) in dimension_names().items():
        groups = result.groups.get(dimension, {})
        header = [column, _("Responses"), *[tr_text(item.item.text) for item in ratings]]
        rows = []
        for code in sorted(groups, key=lambda code: names.get(code, code or "")):
            count = groups[code]
            row = [names.get(code, code or _("Not given")), disclosed(count)]
            for item in ratings:
                answers, mean = item.breakdowns.get(dimension, {}).get(code, (0, None))
                row.append(disclosed(min(count, answers), mean) if mean is not None else None)
            rows.append(row)
        tables.append(Table(column, header, rows))
    return tables


def form_report(result: FormResult, course: Course) -> FormReport:
    rates, rate_chart = rate_table(result, course)
    key = f"form-{result.form.id}"
    items = [item_figure(item, f"chart-item-{item.item.id}") for item in result.items]
    return FormReport(result, key, form_title(result), rates, rate_chart, items, breakdown_tables(result))


def build(course: Course, module_ids: set[int] | None = None) -> list[FormReport]:
    return [form_report(result, course) for result in edition_results(course, utcnow(), module_ids)]


# -- the same figures as sheets and as one long table ---------------------------------


def workbook_tables(reports: list[FormReport]) -> list[Table]:
    """Sheets for the dashboard XLSX: response rates, ratings, choices, free texts, breakdowns."""
    rates = Table(_("Evaluation – response rates"), [_("Form"), _("Run"), _("Could answer"), _("Answered"), _("Response rate (%)")],
                  [[report.title, *row] for report in reports for row in report.rates.rows])  # fmt: skip
    ratings_header = [_("Form"), _("Question"), _("Answers"), "1", "2", "3", "4", "5", _("Mean")]
    ratings, choices, texts, groups = [], [], [], []
    for report in reports:
        for figure in report.items:
            result = figure.result
            if result.item.kind == ItemKind.RATING:
                counts = [disclosed(result.answers, count) for count in result.counts]
                ratings.append([report.title, figure.title, disclosed(result.answers), *counts,
                                disclosed(result.answers, result.mean)])  # fmt: skip
            elif result.item.kind == ItemKind.TEXT:
                if not is_small(report.result.responses):
                    texts += [
                        [report.title, figure.title, text.text] for text in result.texts if not text.hidden
                    ]
            else:
                for name, count in zip(_point_labels(result), result.counts, strict=False):
                    choices.append([report.title, figure.title, name, disclosed(result.answers, count)])
        for table in report.breakdowns:
            groups += [[report.title, table.title, *row[:2], " · ".join(f"{format_number(v) if isinstance(v, float) else v}" for v in row[2:] if v is not None)]
                       for row in table.rows]  # fmt: skip
    return [
        rates,
        Table(_("Evaluation – ratings"), ratings_header, ratings),
        Table(_("Evaluation – choices"), [_("Form"), _("Question"), _("Option"), _("Answers")], choices),
        Table(_("Evaluation – free texts"), [_("Form"), _("Question"), _("Answer")], texts),
        Table(_("Evaluation – breakdowns"), [_("Form"), _("Breakdown"), _("Group"), _("Responses"), _("Means of the ratings")], groups),
    ]  # fmt: skip


def long_table(course: Course) -> Table:
    """Every figure, one per row (form, question, breakdown, group, measure, value): the
    file ``lms export evaluations`` writes, as CSV or XLSX."""
    reports = build(course)
    header = [_("Form"), _("Question"), _("Breakdown"), _("Group"), _("Measure"), _("Value")]
    rows = []
    for report in reports:
        result = report.result
        for row in report.rates.rows:
            rows += [[report.title, "", _("Run"), row[0], _("Could answer"), row[1]],
                     [report.title, "", _("Run"), row[0], _("Answered"), row[2]],
                     [report.title, "", _("Run"), row[0], _("Response rate (%)"), row[3]]]  # fmt: skip
        for figure in report.items:
            item = figure.result
            if item.item.kind == ItemKind.TEXT:
                if not is_small(result.responses):
                    rows += [
                        [report.title, figure.title, "", "", _("Answer"), text.text]
                        for text in item.texts
                        if not text.hidden
                    ]
                continue
            rows.append([report.title, figure.title, "", "", _("Answers"), disclosed(item.answers)])
            for name, count in zip(_point_labels(item), item.counts, strict=False):
                rows.append([report.title, figure.title, "", "", name, disclosed(item.answers, count)])
            if item.item.kind == ItemKind.RATING:
                rows.append(
                    [report.title, figure.title, "", "", _("Mean"), disclosed(item.answers, item.mean)]
                )
        for table in report.breakdowns:
            ratings = table.header[2:]
            for row in table.rows:
                rows.append([report.title, "", table.title, row[0], _("Responses"), row[1]])
                for question, value in zip(ratings, row[2:], strict=True):
                    if value is not None:
                        rows.append([report.title, question, table.title, row[0], _("Mean"), value])
    return Table(_("Evaluations"), header, rows)
