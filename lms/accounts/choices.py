"""The fixed lists people choose from on their profile.

Donors ask for participants by organisation type, province and gender, so these are
codes (stable in reports) with translatable labels (English source, catalogs for the
rest). Provinces follow the 34 provincial-level units in force since 1 July 2025.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ORGANISATION_TYPES = [
    ("national_government", _l("National government agency")),
    ("provincial_government", _l("Provincial or local government")),
    ("park_management_board", _l("Industrial park management board")),
    ("park_developer", _l("Industrial park infrastructure developer")),
    ("enterprise", _l("Enterprise in an industrial park")),
    ("consultancy", _l("Consultancy")),
    ("research", _l("Research or education institution")),
    ("international", _l("International organisation or donor")),
    ("ngo", _l("Non-governmental organisation")),
    ("other", _l("Other")),
]

GENDERS = [
    ("female", _l("Female")),
    ("male", _l("Male")),
    ("other", _l("Another gender")),
    ("undisclosed", _l("Prefer not to say")),
]

PROVINCES = [
    ("ha-noi", _l("Ha Noi")),
    ("hue", _l("Hue")),
    ("hai-phong", _l("Hai Phong")),
    ("da-nang", _l("Da Nang")),
    ("ho-chi-minh", _l("Ho Chi Minh City")),
    ("can-tho", _l("Can Tho")),
    ("an-giang", _l("An Giang")),
    ("bac-ninh", _l("Bac Ninh")),
    ("ca-mau", _l("Ca Mau")),
    ("cao-bang", _l("Cao Bang")),
    ("dak-lak", _l("Dak Lak")),
    ("dien-bien", _l("Dien Bien")),
    ("dong-nai", _l("Dong Nai")),
    ("dong-thap", _l("Dong Thap")),
    ("gia-lai", _l("Gia Lai")),
    ("ha-tinh", _l("Ha Tinh")),
    ("hung-yen", _l("Hung Yen")),
    ("khanh-hoa", _l("Khanh Hoa")),
    ("lai-chau", _l("Lai Chau")),
    ("lam-dong", _l("Lam Dong")),
    ("lang-son", _l("Lang Son")),
    ("lao-cai", _l("Lao Cai")),
    ("nghe-an", _l("Nghe An")),
    ("ninh-binh", _l("Ninh Binh")),
    ("phu-tho", _l("Phu Tho")),
    ("quang-ngai", _l("Quang Ngai")),
    ("quang-ninh", _l("Quang Ninh")),
    ("quang-tri", _l("Quang Tri")),
    ("son-la", _l("Son La")),
    ("tay-ninh", _l("Tay Ninh")),
    ("thai-nguyen", _l("Thai Nguyen")),
    ("thanh-hoa", _l("Thanh Hoa")),
    ("tuyen-quang", _l("Tuyen Quang")),
    ("vinh-long", _l("Vinh Long")),
    ("abroad", _l("Outside Viet Nam")),
]

# The zones the programme's learners and trainers actually live in, first Viet Nam's.
TIMEZONES = [
    ("Asia/Ho_Chi_Minh", "Asia/Ho_Chi_Minh (GMT+07:00)"),
    ("Asia/Bangkok", "Asia/Bangkok (GMT+07:00)"),
    ("Asia/Jakarta", "Asia/Jakarta (GMT+07:00)"),
    ("Asia/Singapore", "Asia/Singapore (GMT+08:00)"),
    ("Asia/Tokyo", "Asia/Tokyo (GMT+09:00)"),
    ("Asia/Kolkata", "Asia/Kolkata (GMT+05:30)"),
    ("Africa/Cairo", "Africa/Cairo"),
    ("Africa/Johannesburg", "Africa/Johannesburg"),
    ("Europe/Kyiv", "Europe/Kyiv"),
    ("Europe/Vienna", "Europe/Vienna"),
    ("Europe/Zurich", "Europe/Zurich"),
    ("Europe/Berlin", "Europe/Berlin"),
    ("Europe/London", "Europe/London"),
    ("America/Bogota", "America/Bogota"),
    ("America/Lima", "America/Lima"),
    ("America/New_York", "America/New_York"),
    ("UTC", "UTC"),
]


def label_for(choices, code: str) -> str:
    return str(dict(choices).get(code, code))


ROLE_LABELS = {
    "learner": _l("Learner"),
    "trainer": _l("Trainer"),
    "organiser": _l("Organiser"),
}


def role_labels(user) -> list[str]:
    return [str(ROLE_LABELS.get(role, role)) for role in sorted(user.role_names)]
