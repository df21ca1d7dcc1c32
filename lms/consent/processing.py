"""The record of processing activities, as organisers print it for a DPIA (a data
protection impact assessment): for each purpose, the data, the legal basis, who receives
it, whether it leaves Viet Nam and how long it is kept. What the platform does, said
once; the shipped notice (content/privacy) tells learners the same."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from lms.consent.models import PURPOSE_LABELS, Purpose

RETENTION = _l(
    "While the learner takes part, then for the retention period after the end of their last "
    "edition (5 years by default), then de-identified: only counted figures remain."
)


@dataclass(frozen=True)
class Activity:
    purpose: object
    data: list
    basis: object
    recipients: list
    abroad: object
    retention: object


def processing_record() -> list[Activity]:
    return [
        Activity(
            PURPOSE_LABELS[Purpose.COURSE],
            [
                _l(
                    "Account: full name, email, organisation and its type, job title, province, gender, language, time zone"
                ),
                _l("Sign-in: password hash, last sign-in time, session version"),
                _l(
                    "Participation: registrations and run choices with their history, attendance marks and imported call reports, quiz attempts and answers, certificates"
                ),
                _l("Emails sent to the learner (the outbox), audit events of actions on their records"),
            ],
            _l("Consent of the data subject (required to register), recorded per notice version"),
            [
                _l("Organisers of the course (MPI and UNIDO)"),
                _l("Trainers, for the learners of their own runs"),
                _l("Anyone holding a certificate's verification link: name, course and date"),
                _l("Hosting and email service providers processing on the organisers' behalf"),
            ],
            _l("No"),
            RETENTION,
        ),
        Activity(
            PURPOSE_LABELS[Purpose.DONOR_SHARING],
            [_l("Full name, organisation and its type, province, gender, modules attended")],
            _l("Separate, optional consent; withdrawable at any time (effective for the next export)"),
            [_l("UNIDO and SECO (the programme's donors)")],
            _l("Yes: a cross-border transfer, which needs its own impact assessment"),
            _l("As the donors' own reporting rules set; the platform keeps a log of each export"),
        ),
        Activity(
            PURPOSE_LABELS[Purpose.RECORDINGS],
            [_l("Voice, image and name as they appear in recordings of live sessions")],
            _l("Separate, optional consent; withdrawable at any time"),
            [_l("Learners and trainers of the same edition")],
            _l("No"),
            RETENTION,
        ),
        Activity(
            _l("Reports to donors (counted figures)"),
            [_l("Counts by organisation type, province and gender; groups under five are not shown alone")],
            _l("Not personal data once aggregated; produced from data held for taking part"),
            [_l("UNIDO and SECO")],
            _l("Yes, as counted figures only"),
            _l("Kept as reports"),
        ),
    ]
