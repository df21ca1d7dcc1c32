"""Reading video-call participant reports (Zoom, Microsoft Teams, Google Meet) into
joins: one per connection, with aware UTC times. The platform is recognised from the
content; UTF-8 or UTF-16, comma, tab or semicolon. Pure functions: no database, no
Flask, no translations.

Malformed reports raise ``ReportError`` naming the line, a message key and the values
the web layer needs to say what is wrong in the reader's language.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

PLATFORMS = ("zoom", "teams", "meet")

# English text of every error, for logs; the web layer translates by key.
MESSAGES = {
    "empty": "The report lists no participants.",
    "not_csv": "This is a {kind}, not a CSV file: export the report as CSV.",
    "encoding": "The file is neither UTF-8 nor UTF-16 text.",
    "unreadable": "The file cannot be read as CSV ({problem}).",
    "unknown_format": "This is not a Zoom, Microsoft Teams or Google Meet participant report.",
    "missing_column": "The participant table has no “{column}” column.",
    "missing_value": "“{column}” is empty.",
    "bad_time": "“{value}” in “{column}” is not a date and time.",
    "inconsistent_dates": "“{value}” in “{column}” does not follow the day/month order of the dates above it.",
    "date_needed": "“{value}” in “{column}” has no date: give the date of the meeting.",
    "leave_before_join": "The leave time {left} is before the join time {joined}.",
}


class ReportError(ValueError):
    """A report that cannot be imported: 1-based ``line`` in the file, a message ``key``
    (see MESSAGES), the ``values`` the message needs, and English ``text`` for logs."""

    def __init__(self, line: int, key: str, text: str, **values: str | int):
        super().__init__(line, key, text, values)
        self.line = line
        self.key = key
        self.text = text
        self.values = values

    def __str__(self) -> str:
        return f"line {self.line}: {self.text}"

    def as_dict(self) -> dict:
        return {"line": self.line, "key": self.key, "values": dict(self.values), "text": self.text}


def _error(line: int, key: str, **values: str | int) -> ReportError:
    return ReportError(line, key, MESSAGES[key].format(**values), **values)


# ---------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class Join:
    """One connection of one person: ``line`` of the report, times aware and in UTC."""

    line: int
    name: str
    email: str | None
    joined_at: datetime
    left_at: datetime
    # Meet gives first and last name apart; Vietnamese names are written family name
    # first, so "Văn An" + "Nguyễn" is also tried as "Nguyễn Văn An"
    other_name: str | None = None


@dataclass(frozen=True)
class Report:
    platform: str  # "zoom" | "teams" | "meet"
    joins: list[Join]
    filename: str = ""
    # True when the dates could be read day-first or month-first and neither the file
    # nor the meeting date decided it: month-first (the platforms' default) was assumed.
    dates_guessed: bool = False


# ---------------------------------------------------------------------------------------
# Reading the file


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = _utf16_without_bom(data) or "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].decode(encoding, errors="replace").count("\n") + 1
        raise _error(line, "encoding") from error


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a byte-order mark: mostly ASCII, so every other byte is zero."""
    sample = data[:400]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > len(odd) // 2 and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > len(even) // 2 and odd.count(0) == 0:
        return "utf-16-be"
    return None


_NOT_CSV = (
    (b"PK\x03\x04", "Excel workbook or other ZIP file"),
    (b"\xd0\xcf\x11\xe0", "Excel 97-2003 workbook"),
    (b"%PDF", "PDF document"),
)


@dataclass(frozen=True)
class _Row:
    line: int
    cells: tuple[str, ...]


def _clean(cell: str) -> str:
    cell = "".join(char for char in cell if char not in "\ufeff\u200b\u200e\u200f")
    return unicodedata.normalize("NFC", cell).strip()


def _rows(text: str, delimiter: str) -> list[_Row]:
    """Non-empty rows with the line each starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, previous = [], 0
    try:
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            cleaned = tuple(_clean(cell) for cell in cells)
            if any(cleaned):
                rows.append(_Row(line, cleaned))
    except csv.Error as error:
        raise _error(previous + 1, "unreadable", problem=str(error)) from error
    return rows


def _header(cell: str) -> str:
    return re.sub(r"\s+", " ", cell.casefold()).strip().rstrip(":").rstrip()


# Header spellings (compared case-insensitively) of each column the importer reads.
_COLUMNS = {
    "name": ("name (original name)", "name", "full name", "participant", "participant name", "display name"),
    "first_name": ("first name", "given name"),
    "last_name": ("last name", "surname", "family name"),
    "email": ("user email", "email", "email address", "e-mail", "participant email", "attendee email"),
    "upn": ("participant id (upn)", "upn"),
    "joined": (
        "join time",
        "time joined",
        "joined",
        "joined at",
        "first join",
        "first join time",
        "first seen",
    ),
    "left": (
        "leave time",
        "time exited",
        "exited",
        "time left",
        "left at",
        "last leave",
        "last leave time",
        "last seen",
    ),
    "waiting": ("in waiting room",),
}
_ROLE_OF = {spelling: role for role, spellings in _COLUMNS.items() for spelling in spellings}
_TEAMS_SIGNS = {"first join", "last leave", "in-meeting duration", "participant id (upn)", "role"}
_MEET_SIGNS = {"time joined", "time exited", "first name", "last name", "first seen", "last seen"}
_ZOOM_SIGNS = {"name (original name)", "user email", "join time", "leave time", "duration (minutes)", "guest"}
_SPAN_SIGNS = {"first join", "last leave", "first join time", "last leave time", "in-meeting duration"}
_TEAMS_SECTION = re.compile(
    r"(?:\d+\.\s*)?(?:summary|meeting summary|participants|in-meeting activities|in meeting activities)"
)

# The column names an error quotes, as each platform writes them.
_CANONICAL = {
    ("zoom", "joins"): {"name": "Name (Original Name)", "joined": "Join Time", "left": "Leave Time"},
    ("teams", "joins"): {"name": "Name", "joined": "Join Time", "left": "Leave Time"},
    ("teams", "span"): {"name": "Name", "joined": "First Join", "left": "Last Leave"},
    ("meet", "joins"): {"name": "First name", "joined": "Time joined", "left": "Time exited"},
}


@dataclass
class _Table:
    header: _Row
    headers: tuple[str, ...]
    columns: dict[str, int]  # role → index of the first column with that role
    rows: list[_Row] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """Either "span" (one row per person with first join and last leave: the Teams
        participants table) or "joins" (one row per connection)."""
        return "span" if _SPAN_SIGNS & set(self.headers) else "joins"

    def cell(self, row: _Row, role: str) -> str:
        index = self.columns.get(role)
        return row.cells[index] if index is not None and index < len(row.cells) else ""


def _tables(rows: list[_Row]) -> tuple[list[_Table], bool]:
    """The participant tables of a report (a header row with at least two known columns,
    one of them a time, and the rows below it up to the next header or section title),
    and whether Teams section titles ("1. Summary", "2. Participants", ...) were seen."""
    tables: list[_Table] = []
    sections = False
    current: _Table | None = None
    for row in rows:
        filled = [cell for cell in row.cells if cell]
        if len(filled) == 1 and _TEAMS_SECTION.fullmatch(_header(filled[0])):
            sections, current = True, None
            continue
        headers = tuple(_header(cell) for cell in row.cells)
        roles = [_ROLE_OF.get(header) for header in headers]
        known = {role for role in roles if role}
        if len(known) >= 2 and known & {"joined", "left"}:
            columns: dict[str, int] = {}
            for index, role in enumerate(roles):
                if role:
                    columns.setdefault(role, index)
            current = _Table(row, headers, columns)
            tables.append(current)
        elif current is not None:
            current.rows.append(row)
    return tables, sections


def _platform(tables: list[_Table], sections: bool) -> str | None:
    headers = {header for table in tables for header in table.headers}
    if sections or headers & _TEAMS_SIGNS:
        return "teams"
    if headers & _MEET_SIGNS:
        return "meet"
    if headers & _ZOOM_SIGNS:
        return "zoom"
    return None


def _choose_table(platform: str, tables: list[_Table]) -> _Table:
    if platform == "teams":
        # per-join "In-Meeting Activities" when there are any, else the participants'
        # first join and last leave
        for kind in ("joins", "span"):
            for table in tables:
                if table.kind == kind and table.rows:
                    return table
    return tables[0]


@dataclass(frozen=True)
class _Record:
    line: int
    name: str
    email: str | None
    joined: str
    left: str
    other_name: str | None = None


def _records(platform: str, table: _Table) -> list[_Record]:
    names = _CANONICAL.get((platform, table.kind)) or _CANONICAL[(platform, "joins")]
    if "name" not in table.columns and not (
        platform == "meet" and {"first_name", "last_name"} & set(table.columns)
    ):
        raise _error(table.header.line, "missing_column", column=names["name"])
    for role in ("joined", "left"):
        if role not in table.columns:
            raise _error(table.header.line, "missing_column", column=names[role])

    records = []
    for row in table.rows:
        if table.cell(row, "waiting").casefold() in {"yes", "true", "1", "có"}:
            continue  # Zoom: time in the waiting room is not time in the meeting
        name, other_name = table.cell(row, "name"), None
        if "name" not in table.columns:
            first, last = table.cell(row, "first_name"), table.cell(row, "last_name")
            name = " ".join(part for part in (first, last) if part)
            other_name = f"{last} {first}" if first and last else None
        if not name:
            raise _error(row.line, "missing_value", column=names["name"])
        email = table.cell(row, "email")
        if "@" not in email:
            upn = table.cell(row, "upn")
            email = upn if "@" in upn and "#ext#" not in upn.casefold() else ""
        values = {role: table.cell(row, role) for role in ("joined", "left")}
        for role, value in values.items():
            if not value:
                raise _error(row.line, "missing_value", column=names[role])
        records.append(_Record(row.line, name, email or None, values["joined"], values["left"], other_name))
    return records


# ---------------------------------------------------------------------------------------
# Times

_OFFSET = r"(?:\s*(?:(?:utc|gmt)\s*(?P<offset>[+-]\d{1,2}(?::?\d{2})?)?|z|(?P<iso_offset>[+-]\d{2}:?\d{2})))?"
_CLOCK = (
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6})\d*)?)?"
    r"\s*(?P<half>[ap]\.?\s?m\.?|sa|ch)?" + _OFFSET
)
_SEP = r"(?:,?\s+|t)"
_NUMERIC_DATE = r"(?P<first>\d{1,2})[/.-](?P<second_part>\d{1,2})[/.-](?P<year>\d{4}|\d{2})"
_DATE_FORMS = [
    re.compile(_NUMERIC_DATE + _SEP + _CLOCK),
    re.compile(r"(?P<year>\d{4})[/.-](?P<month>\d{1,2})[/.-](?P<day>\d{1,2})" + _SEP + _CLOCK),
    re.compile(r"(?P<month_name>[a-z]{3,9})\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})" + _SEP + _CLOCK),
    re.compile(r"(?P<day>\d{1,2})\s+(?P<month_name>[a-z]{3,9})\.?,?\s+(?P<year>\d{4})" + _SEP + _CLOCK),
]
_CLOCK_ONLY = re.compile(_CLOCK)
_NUMERIC_START = re.compile(_NUMERIC_DATE)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def _date_order(
    records: list[_Record], names: dict[str, str], meeting_date: date | None
) -> tuple[bool, bool]:
    """(day_first, guessed) for the file's numeric dates such as "05/10/2023".

    A day above 12 decides; otherwise the meeting date decides when exactly one reading
    puts the dates within a day of it; otherwise month-first (the platforms' default)
    is assumed and reported as a guess."""
    decided: bool | None = None
    pairs: list[tuple[int, int, int]] = []
    for record in records:
        for role, value in (("joined", record.joined), ("left", record.left)):
            match = _NUMERIC_START.match(value.casefold())
            if not match:
                continue
            first, second = int(match["first"]), int(match["second_part"])
            year = int(match["year"])
            pairs.append((first, second, year + 2000 if year < 100 else year))
            says = True if first > 12 >= second else False if second > 12 >= first else None
            if says is None:
                continue
            if decided is not None and says != decided:
                raise _error(record.line, "inconsistent_dates", column=names[role], value=value)
            decided = says
    if decided is not None:
        return decided, False
    if all(first == second for first, second, _ in pairs):
        return False, False
    if meeting_date is not None:
        fits = [
            day_first
            for day_first in (False, True)
            if all(_near(year, first, second, day_first, meeting_date) for first, second, year in pairs)
        ]
        if len(fits) == 1:
            return fits[0], False
    return False, True


def _near(year: int, first: int, second: int, day_first: bool, meeting_date: date) -> bool:
    day, month = (first, second) if day_first else (second, first)
    try:
        return abs(date(year, month, day) - meeting_date) <= timedelta(days=1)
    except ValueError:
        return False


def _parse_time(
    value: str, column: str, line: int, zone: ZoneInfo, meeting_date: date | None, day_first: bool
) -> datetime:
    text = value.casefold().strip()
    match = next((found for form in _DATE_FORMS if (found := form.fullmatch(text))), None)
    if match is None:
        match = _CLOCK_ONLY.fullmatch(text)
        if match is None:
            raise _error(line, "bad_time", column=column, value=value)
        if meeting_date is None:
            raise _error(line, "date_needed", column=column, value=value)
    try:
        return _moment(match, zone, meeting_date, day_first).astimezone(UTC)
    except ValueError as error:
        raise _error(line, "bad_time", column=column, value=value) from error


def _moment(match: re.Match, zone: ZoneInfo, meeting_date: date | None, day_first: bool) -> datetime:
    parts = match.groupdict()
    if "year" not in parts:  # a clock time on the meeting's date
        if meeting_date is None:  # the caller reports this case first; never guess a date
            raise ValueError("a clock time needs the meeting's date")
        year, month, day = meeting_date.year, meeting_date.month, meeting_date.day
    else:
        year = int(parts["year"])
        year = year + 2000 if year < 100 else year
        if parts.get("first"):
            first, second = int(parts["first"]), int(parts["second_part"])
            day, month = (first, second) if day_first else (second, first)
        else:
            day = int(parts["day"])
            month = int(parts["month"]) if parts.get("month") else _MONTHS.get(parts["month_name"], 0)
    hour, minute = int(parts["hour"]), int(parts["minute"])
    if parts["half"]:
        if not 1 <= hour <= 12:
            raise ValueError("hour out of range for a 12-hour clock")
        hour = hour % 12 + (12 if parts["half"][0] in "pc" else 0)  # p.m.; "CH" (chiều) in Vietnamese
    second = int(parts["second"] or 0)
    micro = int((parts["fraction"] or "0").ljust(6, "0"))
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=_zone_of(match, zone))


def _zone_of(match: re.Match, zone: ZoneInfo) -> timezone | ZoneInfo:
    offset = match["offset"] or match["iso_offset"]
    if offset is None:
        return UTC if match.group(0).endswith(("z", "utc", "gmt")) else zone
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


# ---------------------------------------------------------------------------------------
# The report


def parse_report(data: bytes, filename: str, zone: ZoneInfo, meeting_date: date | None = None) -> Report:
    """Read a Zoom participants export, a Microsoft Teams attendance report or a Google
    Meet attendance CSV (recognised by content, not name). Times without an offset are
    in ``zone``; times without a date (Meet) are on ``meeting_date``, which also settles
    day/month order when the file cannot. Raises ReportError naming the line."""
    for signature, kind in _NOT_CSV:
        if data.startswith(signature):
            raise _error(1, "not_csv", kind=kind)
    text = _decode(data)
    if not text.strip(" \t\r\n\ufeff\x00"):
        raise _error(1, "empty")

    tables: list[_Table] = []
    sections = False
    for delimiter in ("\t", ",", ";"):
        tables, sections = _tables(_rows(text, delimiter))
        if tables:
            break
    platform = _platform(tables, sections) if tables else None
    if platform is None:
        raise _error(1, "unknown_format")

    table = _choose_table(platform, tables)
    records = _records(platform, table)
    if not records:
        raise _error(table.header.line, "empty")
    names = _CANONICAL.get((platform, table.kind)) or _CANONICAL[(platform, "joins")]
    day_first, guessed = _date_order(records, names, meeting_date)

    joins = []
    for record in records:
        joined = _parse_time(record.joined, names["joined"], record.line, zone, meeting_date, day_first)
        left = _parse_time(record.left, names["left"], record.line, zone, meeting_date, day_first)
        if left < joined:
            raise _error(record.line, "leave_before_join", joined=record.joined, left=record.left)
        joins.append(Join(record.line, record.name, record.email, joined, left, record.other_name))
    return Report(platform=platform, joins=joins, filename=filename, dates_guessed=guessed)
