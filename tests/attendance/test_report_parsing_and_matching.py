"""Participant reports of Zoom, Teams and Meet: parsing, merging, clipping, thresholds and
matching to learners. Pure functions; the sample reports are in samples/.

Every sample is of the same run: 10 October 2023, 09:00–11:00 in Viet Nam
(Asia/Ho_Chi_Minh, UTC+7), that is 02:00–04:00 UTC.
"""

from __future__ import annotations

import codecs
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from lms.attendance.participants import (
    Learner,
    attendance_minutes,
    group_participants,
    match_participants,
    merged_intervals,
    normalise_name,
    status_for,
)
from lms.attendance.report_parsing import MESSAGES, Join, Report, ReportError, parse_report

SAMPLES = Path(__file__).parent / "samples"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MEETING_DAY = date(2023, 10, 10)


def utc(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2023, 10, 10, hour, minute, second, tzinfo=UTC)


STARTS, ENDS = utc(2), utc(4)  # 09:00–11:00 in Viet Nam

LEARNERS = [
    Learner(1, "Nguyễn Văn An", "an.nguyen@hiepphuoc-ip.example.vn"),
    Learner(2, "Nguyễn Văn An", "nguyenvanan.dn@example.com"),
    Learner(3, "Nguyễn Thị Hương", "huong.nguyen@dinhvu-ip.example.vn"),
    Learner(4, "Trần Thị Mai", "mai.tran@example.org"),
    Learner(5, "Trần Quốc Bảo", "bao.tran@example.org"),
    Learner(6, "Lê Văn Bình", "binh.le@example.org"),
    Learner(7, "Lê Thị Thu Hà", "ha.le@example.org"),
    Learner(8, "Phạm Đức Thắng", "thang.pham@example.org"),
    Learner(9, "Nguyễn Hoàng Long", "long.nguyen@example.org"),
    Learner(10, "Lê Minh Tuấn", None),
]


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def parse(data: bytes, name: str = "report.csv", meeting_date: date | None = MEETING_DAY) -> Report:
    return parse_report(data, name, VIETNAM, meeting_date)


def report_of(name: str) -> Report:
    return parse(sample(name), name)


def import_sample(name: str):
    """What the import screen does: parse, group, match."""
    participants = group_participants(report_of(name), STARTS, ENDS)
    return participants, match_participants(participants, LEARNERS)


def minutes_of(result) -> dict[int, int]:
    return {learner_id: matched.minutes for learner_id, matched in result.matched.items()}


def zoom_csv(*rows: str, header: str = "Name (Original Name),User Email,Join Time,Leave Time,Guest") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def join(name: str, start: datetime, end: datetime, email: str | None = None, line: int = 1) -> Join:
    return Join(line, name, email, start, end)


# ---------------------------------------------------------------------------------------
# Zoom


def test_zoom_report_with_summary_block():
    report = report_of("zoom_participants.csv")
    assert report.platform == "zoom"
    assert report.filename == "zoom_participants.csv"
    assert not report.dates_guessed
    first = report.joins[0]
    assert first == Join(
        5, "Nguyễn Thị Lan", "lan.nguyen@trainers.example.org", utc(1, 47, 5), utc(4, 12, 40)
    )
    assert first.joined_at.tzinfo is UTC
    # line 6 is time in the waiting room, which is not time in the meeting
    assert 6 not in {join.line for join in report.joins}
    assert [join.line for join in report.joins] == [5, *range(7, 23)]
    guest = next(join for join in report.joins if join.line == 11)
    assert (guest.name, guest.email) == ("nguyen thi huong", None)
    assert (guest.joined_at, guest.left_at) == (utc(2, 12), utc(3))


def test_zoom_report_without_summary_block():
    lines = sample("zoom_participants.csv").decode("utf-8-sig").splitlines()
    bare = parse("\n".join(lines[3:]).encode(), "participants_81234567890.csv")
    full = report_of("zoom_participants.csv")
    assert bare.platform == "zoom"
    assert [(join.line + 3, join.name, join.joined_at) for join in bare.joins] == [
        (join.line, join.name, join.joined_at) for join in full.joins
    ]


def test_zoom_participants_minutes_and_statuses():
    participants, _ = import_sample("zoom_participants.csv")
    assert [participant.key for participant in participants] == sorted(p.key for p in participants)
    by_key = {participant.key: participant for participant in participants}
    # three connections of the same person, overlapping then touching, from before the
    # start to after the end: the whole run, counted once
    an = by_key["email:an.nguyen@hiepphuoc-ip.example.vn"]
    assert an.lines == (7, 9, 15)
    assert an.minutes == 120
    # a guest without an email who reconnected: 48 + 43.5 minutes
    assert by_key["name:nguyen thi huong"].minutes == 91
    assert by_key["name:nguyen thi huong"].lines == (11, 13)
    # email grouping ignores case
    assert by_key["email:mai.tran@example.org"].email == "mai.tran@example.org"
    assert by_key["email:mai.tran@example.org"].minutes == 89
    assert by_key["email:thang.pham@example.org"].minutes == 116  # waiting room not counted
    assert by_key["email:ha.le@example.org"].minutes == 0  # left before the start
    assert by_key["email:long.nguyen@example.org"].minutes == 15  # came late, stayed after the end
    statuses = {key: status_for(participant.minutes, 120) for key, participant in by_key.items()}
    assert statuses["email:nguyenvanan.dn@example.com"] == "present"  # exactly 90 = 75 %
    assert statuses["email:mai.tran@example.org"] == "late"  # 89
    assert statuses["email:bao.tran@example.org"] == "late"  # exactly 30 = 25 %
    assert statuses["email:binh.le@example.org"] == "absent"  # 29


def test_zoom_import_matches_learners():
    _, result = import_sample("zoom_participants.csv")
    assert minutes_of(result) == {1: 120, 2: 90, 3: 91, 4: 89, 5: 30, 6: 29, 7: 0, 8: 116, 9: 15}
    assert result.matched[2].participant_keys == ("email:nguyenvanan.dn@example.com",)
    assert result.matched[2].via == ("email",)
    assert result.matched[3].via == ("name",)
    assert [participant.key for participant in result.unmatched] == [
        "email:ann.nguyen.personal@gmail.example",  # "Nguyễn Văn Ann": no fuzzy match
        "email:lan.nguyen@trainers.example.org",  # the trainer
        "name:nguyen thi huong (ban ql kcn)",  # text in parentheses is part of the name
        "name:tran minh",  # nobody of that name
    ]
    assert [(participant.key, ids) for participant, ids in result.ambiguous] == [
        ("name:nguyen van an", [1, 2])
    ]


# ---------------------------------------------------------------------------------------
# Teams


def test_teams_utf16_report_uses_in_meeting_activities():
    data = sample("teams_attendance.csv")
    assert data.startswith(codecs.BOM_UTF16_LE)
    report = parse(data, "EIP Module 3 - Attendance report 10-10-23.csv")
    assert report.platform == "teams"
    assert min(join.line for join in report.joins) == 23  # section 3, not section 2
    mai = [join for join in report.joins if join.email == "mai.tran@example.org"]
    assert [(join.line, join.joined_at, join.left_at) for join in mai] == [
        (24, utc(1, 58, 40), utc(2, 30)),
        (34, utc(3, 30), utc(4, 1, 5)),
    ]
    an = next(join for join in report.joins if join.line == 25)
    assert an.joined_at == utc(2, 1, 23)


def test_teams_import_matches_learners():
    _, result = import_sample("teams_attendance.csv")
    assert minutes_of(result) == {1: 118, 3: 105, 4: 60, 6: 90, 7: 59, 8: 90}
    assert result.matched[3].via == ("name",)  # "nguyen thi huong (Guest)"
    assert [participant.key for participant in result.unmatched] == [
        "email:lan.nguyen@trainers.example.org",
        "name:tran minh",  # "Trần Minh (Unverified)"
    ]
    assert [(participant.name, ids) for participant, ids in result.ambiguous] == [
        ("Nguyễn Văn An (Guest)", [1, 2])
    ]
    assert status_for(result.matched[4].minutes, 120) == "late"  # two joins, an hour away


def test_teams_utf8_report_without_activities_uses_first_join_and_last_leave():
    report = report_of("teams_attendance_utf8.csv")
    assert report.platform == "teams"
    assert len(report.joins) == 9
    mai = next(join for join in report.joins if join.name == "Trần Thị Mai")
    assert (mai.line, mai.joined_at, mai.left_at) == (12, utc(1, 58, 40), utc(4, 1, 5))
    # the participant ID (UPN) stands in for an empty email
    thang = next(join for join in report.joins if join.name == "Phạm Đức Thắng")
    assert thang.email == "thang.pham@example.org"
    _, result = import_sample("teams_attendance_utf8.csv")
    assert result.matched[4].minutes == 120
    assert result.matched[8].via == ("email",)


# ---------------------------------------------------------------------------------------
# Meet


def test_meet_clock_times_take_the_meeting_date():
    report = report_of("meet_attendance.csv")
    assert report.platform == "meet"
    first = report.joins[0]
    assert (first.line, first.name, first.joined_at, first.left_at) == (
        2,
        "Văn An Nguyễn",
        utc(2, 2),
        utc(3, 57),
    )
    bao = report.joins[2]
    assert (bao.joined_at, bao.left_at) == (utc(2, 30), utc(3, 15))  # "9:30 AM"


def test_meet_import_matches_learners_by_email_and_family_name_first():
    _, result = import_sample("meet_attendance.csv")
    assert minutes_of(result) == {1: 115, 2: 10, 3: 90, 5: 45, 7: 85, 8: 120}
    # "Thị Thu Hà" + "Lê" without email is the learner "Lê Thị Thu Hà"
    assert result.matched[7].via == ("name",)
    assert [participant.key for participant in result.unmatched] == ["name:minh tran"]
    assert result.ambiguous == []


def test_meet_clock_times_without_a_date_are_refused():
    with pytest.raises(ReportError) as caught:
        parse(sample("meet_attendance.csv"), meeting_date=None)
    assert (caught.value.line, caught.value.key) == (2, "date_needed")
    assert caught.value.values == {"column": "Time joined", "value": "09:02"}


def test_meet_full_timestamps_need_no_date():
    data = (
        "Email,Last name,First name,Duration,Time joined,Time exited,Device\n"
        "mai.tran@example.org,Trần,Thị Mai,1 hr,2023-10-10 09:01:23,2023-10-10 10:01:23,Chrome\n"
        "bao.tran@example.org,Trần,Quốc Bảo,1 hr,2023-10-10T02:00:00Z,2023-10-10T03:00:00Z,Android\n"
    ).encode()
    report = parse(data, meeting_date=None)
    assert report.platform == "meet"
    assert [(join.joined_at, join.left_at) for join in report.joins] == [
        (utc(2, 1, 23), utc(3, 1, 23)),
        (utc(2), utc(3)),
    ]
    assert report.joins[0].name == "Thị Mai Trần"
    assert report.joins[0].other_name == "Trần Thị Mai"


# ---------------------------------------------------------------------------------------
# Reading: encodings, columns, times


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: text.encode("utf-8-sig"),
        lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        lambda text: text.encode("utf-16-le"),  # no byte-order mark
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "utf-16-le-no-bom"],
)
def test_encodings_give_the_same_report(encode):
    text = sample("zoom_participants.csv").decode("utf-8-sig")
    assert parse(encode(text)) == parse(sample("zoom_participants.csv"))


def test_teams_report_saved_as_utf8_tab_separated():
    text = sample("teams_attendance.csv").decode("utf-16")
    assert parse(text.encode("utf-8")).joins == report_of("teams_attendance.csv").joins


def test_columns_in_any_order_any_case_with_extra_columns_and_blank_lines():
    data = (
        "\n"
        "  GUEST ,leave time,Recording disclaimer response,  join TIME ,USER EMAIL,name (original name)\n"
        "\n"
        "No, 10/10/2023 10:00:00 AM ,OK,10/10/2023 09:00:00 AM,  Mai.Tran@Example.org  ,  Trần Thị   Mai \n"
        "\n"
        ",,,,,\n"
    ).encode()
    report = parse(data)
    assert report.platform == "zoom"
    assert report.joins == [Join(4, "Trần Thị   Mai", "Mai.Tran@Example.org", utc(2), utc(3))]


def test_platform_is_read_from_the_content_not_the_name():
    assert parse(sample("zoom_participants.csv"), "teams-attendance.csv").platform == "zoom"
    assert parse(sample("teams_attendance.csv"), "zoom.csv").platform == "teams"


@pytest.mark.parametrize(
    "value",
    [
        "10/10/2023 09:01:23 AM",
        "10/10/2023 9:01:23 am",
        "10/10/23, 9:01:23 AM",
        "10/10/2023 09:01:23",
        "10/10/2023 09:01:23 SA",  # Vietnamese "sáng"
        "2023-10-10 09:01:23",
        "2023-10-10T09:01:23",
        "2023-10-10T09:01:23+07:00",
        "2023-10-10T02:01:23Z",
        "2023-10-10 02:01:23 UTC",
        "Oct 10, 2023 9:01:23 AM",
        "10 October 2023 09:01:23",
        "10/10/2023 9:01:23\u202fAM",  # narrow no-break space, as newer Windows and ICU write it
    ],
)
def test_time_formats(value):
    report = parse(zoom_csv(f'Lê Văn Bình,binh.le@example.org,"{value}",10/10/2023 10:00:00 AM,No'))
    assert report.joins[0].joined_at == utc(2, 1, 23)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12:30:00 AM", utc(17, 30) - timedelta(days=1)),
        ("12:30:00 PM", utc(5, 30)),
        ("1:30:00 CH", utc(6, 30)),
    ],
)
def test_twelve_hour_clock(value, expected):
    report = parse(zoom_csv(f"Lê Văn Bình,,10/10/2023 {value},10/10/2023 11:59:00 PM,No"))
    assert report.joins[0].joined_at == expected


def test_day_first_dates_are_recognised_from_a_day_above_twelve():
    report = parse(
        zoom_csv(
            "Lê Văn Bình,,05/10/2023 23:30:00,06/10/2023 00:10:00,No",
            "Trần Thị Mai,,05/10/2023 23:00:00,13/10/2023 08:00:00,No",
        ),
        meeting_date=None,
    )
    assert report.joins[0].joined_at == datetime(2023, 10, 5, 16, 30, tzinfo=UTC)
    assert not report.dates_guessed


def test_ambiguous_dates_follow_the_meeting_date():
    data = zoom_csv("Lê Văn Bình,,05/10/2023 09:00:00,05/10/2023 10:00:00,No")
    assert parse(data, meeting_date=date(2023, 10, 5)).joins[0].joined_at == datetime(
        2023, 10, 5, 2, tzinfo=UTC
    )
    assert parse(data, meeting_date=date(2023, 5, 10)).joins[0].joined_at == datetime(
        2023, 5, 10, 2, tzinfo=UTC
    )
    guessed = parse(data, meeting_date=None)
    assert guessed.dates_guessed
    assert guessed.joins[0].joined_at == datetime(2023, 5, 10, 2, tzinfo=UTC)  # month first, the default


def test_dates_in_both_orders_are_refused():
    data = zoom_csv(
        "Lê Văn Bình,,13/10/2023 09:00:00,13/10/2023 10:00:00,No",
        "Trần Thị Mai,,10/13/2023 09:00:00,10/13/2023 10:00:00,No",
    )
    with pytest.raises(ReportError) as caught:
        parse(data)
    assert (caught.value.line, caught.value.key) == (3, "inconsistent_dates")


# ---------------------------------------------------------------------------------------
# Malformed reports


@pytest.mark.parametrize(
    ("name", "line", "key", "values"),
    [
        ("malformed_zoom_missing_column.csv", 4, "missing_column", {"column": "Leave Time"}),
        (
            "malformed_zoom_bad_time.csv",
            7,
            "bad_time",
            {"column": "Join Time", "value": "10/10/2023 09:61:00 AM"},
        ),
        ("malformed_zoom_empty.csv", 4, "empty", {}),
        (
            "malformed_teams_leave_before_join.csv",
            12,
            "leave_before_join",
            {"joined": "10/10/23, 10:40:00 AM", "left": "10/10/23, 9:10:00 AM"},
        ),
        ("malformed_unknown.csv", 1, "unknown_format", {}),
    ],
)
def test_malformed_samples(name, line, key, values):
    with pytest.raises(ReportError) as caught:
        report_of(name)
    error = caught.value
    assert (error.line, error.key, error.values) == (line, key, values)
    assert error.text == MESSAGES[key].format(**values)
    assert str(error) == f"line {line}: {error.text}"
    assert error.as_dict() == {"line": line, "key": key, "values": values, "text": error.text}


@pytest.mark.parametrize(
    ("data", "line", "key"),
    [
        (b"", 1, "empty"),
        (b"\xef\xbb\xbf\r\n  \r\n", 1, "empty"),
        (codecs.BOM_UTF16_LE, 1, "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00", 1, "not_csv"),
        (b"%PDF-1.7\n", 1, "not_csv"),
        (b"Meeting ID,Topic\n123,EIP\n", 1, "unknown_format"),
        ("Name,Email\nNguyễn Văn An,an@example.org\n".encode(), 1, "unknown_format"),
        (
            "Name (Original Name),User Email,Join Time,Leave Time\nL\xea V\xe3n\n".encode("latin-1"),
            2,
            "encoding",
        ),
        (
            zoom_csv(",binh.le@example.org,10/10/2023 09:00:00 AM,10/10/2023 10:00:00 AM,No"),
            2,
            "missing_value",
        ),
        (zoom_csv("Lê Văn Bình,,,10/10/2023 10:00:00 AM,No"), 2, "missing_value"),
        (
            zoom_csv("Lê Văn Bình,,10/10/2023 09:00 AM,10/10/2023 10:00 AM,No", "Mai,,soon,later,No"),
            3,
            "bad_time",
        ),
        (zoom_csv("Lê Văn Bình,,10/10/2023 13:00:00 PM,10/10/2023 14:00:00,No"), 2, "bad_time"),
        (zoom_csv("Lê Văn Bình,,02/30/2023 09:00:00,02/30/2023 10:00:00,No"), 2, "bad_time"),
        (zoom_csv("Lê Văn Bình,,10/10/2023 10:00:00,10/10/2023 09:59:59,No"), 2, "leave_before_join"),
        (zoom_csv(header="Name (Original Name),User Email,Leave Time"), 1, "missing_column"),
        (zoom_csv(header="User Email,Join Time,Leave Time,Guest"), 1, "missing_column"),
        (
            zoom_csv(
                "Lê Văn Bình,,10/10/2023 08:50:00,10/10/2023 09:00:00,Yes",
                header=("Name (Original Name),User Email,Join Time,Leave Time,In Waiting Room"),
            ),
            1,
            "empty",
        ),
        (b"Name (Original Name),Join Time,Leave Time\nA,B,C\n" + b"x" * 200_000 + b",y,z\n", 3, "unreadable"),
    ],
)
def test_malformed_reports(data, line, key):
    with pytest.raises(ReportError) as caught:
        parse(data)
    assert (caught.value.line, caught.value.key) == (line, key)
    assert caught.value.text == MESSAGES[key].format(**caught.value.values)


def test_meet_exit_before_join_names_the_line():
    data = b"First name,Last name,Email,Duration,Time joined,Time exited\nAn,Le,,5 min,09:00,09:05\nBinh,Le,,5 min,10:05,10:00\n"
    with pytest.raises(ReportError) as caught:
        parse(data)
    assert (caught.value.line, caught.value.key) == (3, "leave_before_join")


def test_a_quoted_cell_over_two_lines_keeps_later_line_numbers_right():
    data = zoom_csv(
        '"Nguyễn Thị Hương\n(Ban QL KCN)",,10/10/2023 09:00:00 AM,10/10/2023 10:00:00 AM,No',
        "Lê Văn Bình,,10/10/2023 10:00:00,10/10/2023 09:00:00,No",
    )
    with pytest.raises(ReportError) as caught:
        parse(data)
    assert caught.value.line == 4


# ---------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("  NGUYỄN  Thị   Hương ", "nguyen thi huong"),
        ("nguyen thi huong", "nguyen thi huong"),
        ("Đỗ Minh Châu", "do minh chau"),
        ("ĐẶNG\u00a0VĂN\tĐỨC", "dang van duc"),
        ("Nguye\u0302\u0303n Thi\u0323 Hu\u031bo\u031b\u0301ng", "nguyen thi huong"),  # decomposed (NFD)
        ("Trần\u200b Minh", "tran minh"),
        ("Trần Minh (Guest)", "tran minh"),
        ("Trần Minh (External)", "tran minh"),
        ("Trần Minh (Khách)", "tran minh"),
        ("Trần Minh (unverified) (GUEST)", "tran minh"),
        ("Nguyễn Thị Hương (Ban QL KCN)", "nguyen thi huong (ban ql kcn)"),
        ("An Nguyen (Nguyễn Văn An)", "an nguyen (nguyen van an)"),
        ("(Guest)", "(guest)"),
        ("", ""),
    ],
)
def test_normalise_name(name, expected):
    assert normalise_name(name) == expected


# ---------------------------------------------------------------------------------------
# Minutes and status


def test_reconnections_are_merged_not_double_counted():
    joins = [
        join("Lê Văn Bình", utc(2), utc(2, 40)),
        join("Lê Văn Bình", utc(2, 30), utc(3)),  # overlaps
        join("Lê Văn Bình", utc(3), utc(3, 20)),  # touches
        join("Lê Văn Bình", utc(2, 10), utc(2, 20)),  # inside another
        join("Lê Văn Bình", utc(3, 30), utc(3, 45)),  # after a gap
    ]
    assert merged_intervals(joins, STARTS, ENDS) == [(utc(2), utc(3, 20)), (utc(3, 30), utc(3, 45))]
    assert attendance_minutes(joins, STARTS, ENDS) == 95
    assert attendance_minutes(reversed(joins), STARTS, ENDS) == 95


def test_joins_are_clipped_to_the_run():
    assert attendance_minutes([join("x", utc(1), utc(5))], STARTS, ENDS) == 120
    assert attendance_minutes([join("x", utc(1, 30), utc(2, 10))], STARTS, ENDS) == 10
    assert attendance_minutes([join("x", utc(3, 50), utc(4, 30))], STARTS, ENDS) == 10
    assert attendance_minutes([join("x", utc(1), utc(2))], STARTS, ENDS) == 0
    assert attendance_minutes([join("x", utc(4), utc(5))], STARTS, ENDS) == 0
    assert attendance_minutes([], STARTS, ENDS) == 0


def test_minutes_are_rounded_down_once_over_all_joins():
    joins = [join("x", utc(2), utc(2, 0, 30)), join("x", utc(2, 10), utc(2, 10, 45))]
    assert attendance_minutes(joins, STARTS, ENDS) == 1  # 75 seconds
    assert attendance_minutes([join("x", utc(2), utc(2, 59, 59))], STARTS, ENDS) == 59


def test_the_window_must_be_aware_and_in_order():
    with pytest.raises(ValueError, match="aware"):
        attendance_minutes([], datetime(2023, 10, 10, 9), datetime(2023, 10, 10, 11))
    with pytest.raises(ValueError, match="before"):
        attendance_minutes([], ENDS, STARTS)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(120, "present"), (90, "present"), (89, "late"), (30, "late"), (29, "absent"), (0, "absent")],
)
def test_status_thresholds(minutes, expected):
    assert status_for(minutes, 120) == expected


def test_status_with_the_course_thresholds():
    assert status_for(84, 120, present_share=0.7, late_share=0.5) == "present"
    assert status_for(83, 120, present_share=0.7, late_share=0.5) == "late"
    assert status_for(59, 120, present_share=0.7, late_share=0.5) == "absent"
    # 75 % of 45 minutes is 33.75: 34 minutes are needed
    assert status_for(34, 45) == "present"
    assert status_for(33, 45) == "late"
    # 70 % of 10 minutes is exactly 7, whatever binary floating point says
    assert status_for(7, 10, present_share=0.7) == "present"
    # nobody is late for a run they never joined, even with no lower threshold
    assert status_for(0, 120, late_share=0) == "absent"
    assert status_for(1, 120, late_share=0) == "late"


@pytest.mark.parametrize(
    "arguments",
    [(10, 0), (10, -5), (10, 120, 0.5, 0.75), (10, 120, 1.5, 0.25), (10, 120, 0.75, -0.1)],
)
def test_status_refuses_nonsense_settings(arguments):
    with pytest.raises(ValueError):
        status_for(*arguments)


# ---------------------------------------------------------------------------------------
# Matching


def participants_of(*joins: Join) -> list:
    numbered = [
        Join(line, one.name, one.email, one.joined_at, one.left_at) for line, one in enumerate(joins, start=2)
    ]
    return group_participants(Report("zoom", numbered), STARTS, ENDS)


def test_email_beats_name():
    # by name alone "Nguyễn Văn An" would fit learners 1 and 2; the email decides
    result = match_participants(
        participants_of(join("Nguyễn Văn An", utc(2), utc(3), "NguyenVanAn.DN@example.com")), LEARNERS
    )
    assert list(result.matched) == [2]
    assert result.matched[2].via == ("email",)
    # and an email beats a name that belongs to somebody else
    result = match_participants(
        participants_of(join("Lê Văn Bình", utc(2), utc(3), "ha.le@example.org")), LEARNERS
    )
    assert list(result.matched) == [7]


def test_an_unknown_email_falls_back_to_the_exact_name():
    result = match_participants(
        participants_of(join("LÊ VĂN BÌNH", utc(2), utc(3), "binh.personal@gmail.example")), LEARNERS
    )
    assert list(result.matched) == [6]
    assert result.matched[6].via == ("name",)


def test_names_match_without_accents_case_or_spacing():
    result = match_participants(
        participants_of(
            join("nguyen thi huong", utc(2), utc(3)),
            join("  PHẠM đức   THẮNG (External)", utc(2), utc(3)),
            join("le minh tuan", utc(2), utc(3)),  # a learner without an email
        ),
        LEARNERS,
    )
    assert sorted(result.matched) == [3, 8, 10]
    assert result.unmatched == []


@pytest.mark.parametrize(
    "name",
    [
        "Nguyễn Văn Ann",  # one letter off
        "Nguyễn Văn",  # part of a name
        "Văn An",
        "An Nguyễn Văn",  # another order (only Meet's split first / last name is tried both ways)
        "Nguyễn Văn An Nguyễn",
        "Tran Thi Mai.",
        "Trần Minh",
    ],
)
def test_no_fuzzy_matches(name):
    result = match_participants(participants_of(join(name, utc(2), utc(3))), LEARNERS)
    assert result.matched == {}
    assert result.ambiguous == []
    assert [participant.name for participant in result.unmatched] == [name]


def test_same_name_twice_is_ambiguous():
    result = match_participants(participants_of(join("nguyễn văn an (Khách)", utc(2), utc(3))), LEARNERS)
    assert result.matched == {}
    assert [(participant.key, ids) for participant, ids in result.ambiguous] == [
        ("name:nguyen van an", [1, 2])
    ]


def test_a_second_device_under_the_same_name_goes_to_review_then_merges():
    # the learner joined from a laptop (signed in) and from a phone (as a guest): the
    # guest could be them or a colleague of the same name, so the trainer decides
    participants = participants_of(
        join("Nguyễn Thị Hương", utc(2), utc(3), "huong.nguyen@dinhvu-ip.example.vn"),
        join("Nguyễn Thị Hương (Khách)", utc(2, 30), utc(3, 30)),
    )
    assert [participant.minutes for participant in participants] == [60, 60]
    result = match_participants(participants, LEARNERS)
    assert result.matched[3].minutes == 60
    assert [(participant.key, ids) for participant, ids in result.ambiguous] == [
        ("name:nguyen thi huong", [3])
    ]

    result = match_participants(participants, LEARNERS, assigned={"name:nguyen thi huong": 3})
    matched = result.matched[3]
    assert matched.minutes == 90  # 09:00–10:30, not 60 + 60
    assert matched.participant_keys == ("email:huong.nguyen@dinhvu-ip.example.vn", "name:nguyen thi huong")
    assert matched.via == ("email", "review")
    assert [one.line for one in matched.joins] == [2, 3]
    assert result.ambiguous == []


def test_review_decisions_assign_or_ignore():
    participants = participants_of(
        join("nguyễn văn an (Khách)", utc(2), utc(3)),  # two learners of that name
        join("Trần Minh", utc(2), utc(3, 30)),  # nobody of that name
    )
    result = match_participants(
        participants, LEARNERS, assigned={"name:nguyen van an": 2, "name:tran minh": None}
    )
    assert list(result.matched) == [2]
    assert result.matched[2].via == ("review",)
    assert [participant.name for participant in result.ignored] == ["Trần Minh"]
    assert result.unmatched == [] and result.ambiguous == []
    with pytest.raises(ValueError, match="not in the run"):
        match_participants(participants, LEARNERS, assigned={"name:tran minh": 999})


def test_meet_first_and_last_name_are_tried_in_both_orders():
    data = "First name,Last name,Email,Time joined,Time exited\nThị Thu Hà,Lê,,09:00,10:00\nHà,Lê Thị Thu,,09:00,10:00\n"
    participants = group_participants(parse(data.encode()), STARTS, ENDS)
    result = match_participants(participants, LEARNERS)
    assert list(result.matched) == [7]
    assert result.matched[7].minutes == 60
    assert len(result.matched[7].participant_keys) == 2


def test_learners_sharing_an_email_are_ambiguous():
    learners = [*LEARNERS, Learner(11, "Trần Thị Mai", "MAI.TRAN@example.org")]
    result = match_participants(
        participants_of(join("Mai", utc(2), utc(3), "mai.tran@example.org")), learners
    )
    assert [ids for _, ids in result.ambiguous] == [[4, 11]]


# ---------------------------------------------------------------------------------------
# Re-importing


@pytest.mark.parametrize(
    "name",
    ["zoom_participants.csv", "teams_attendance.csv", "teams_attendance_utf8.csv", "meet_attendance.csv"],
)
def test_reimporting_gives_exactly_the_same_result(name):
    first_participants, first = import_sample(name)
    again_participants, again = import_sample(name)
    assert again_participants == first_participants
    assert again == first
    assert list(again.matched) == sorted(again.matched)
    shuffled = list(again_participants)
    random.Random(6).shuffle(shuffled)
    assert match_participants(shuffled, list(reversed(LEARNERS))) == first
