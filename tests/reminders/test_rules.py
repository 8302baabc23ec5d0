"""Deadline reminders: which one is due today, its once-only key, the weekly digest and the mail
that lists them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from riskapp.reminders.rules import (
    DEFAULT_OFFSETS,
    Deadline,
    DeadlineKind,
    Reminder,
    Step,
    iso_week,
    parse_offsets,
    reminder_mail,
    reminders_due,
    step_due,
    weekly_digest,
)

TODAY = date(2026, 11, 28)


def deadline(days_left: int = 30, *, kind: DeadlineKind = DeadlineKind.BAA_EXPIRY,
             subject_id: int = 1, vendor_id: int = 7, vendor_name: str = "Acme Mail",
             detail: str = "") -> Deadline:
    return Deadline(kind=kind, subject_id=subject_id, vendor_id=vendor_id,
                    vendor_name=vendor_name, due_on=TODAY + timedelta(days=days_left),
                    detail=detail)


def reminder(days_left: int, **fields: object) -> Reminder:
    due = deadline(days_left, **fields)  # type: ignore[arg-type]
    step = step_due(due, TODAY)
    assert step is not None
    return Reminder(due, step)


# --- the deadline itself ------------------------------------------------------------------


def test_every_kind_has_a_label() -> None:
    assert {kind: kind.label for kind in DeadlineKind} == {
        DeadlineKind.BAA_EXPIRY: "BAA expires",
        DeadlineKind.BAA_NOTICE: "Last day to give notice on the BAA",
        DeadlineKind.CONTRACT_RENEWAL: "Contract renews",
        DeadlineKind.CONTRACT_NOTICE: "Last day to give notice on the contract",
        DeadlineKind.CONTRACT_END: "Contract ends",
        DeadlineKind.REVIEW_DUE: "Reassessment due",
        DeadlineKind.QUESTIONNAIRE_DUE: "Questionnaire due from the vendor",
        DeadlineKind.DECISION_DUE: "Conditions of approval due",
    }


def test_the_title_names_what_falls_due_and_the_vendor() -> None:
    assert deadline(kind=DeadlineKind.CONTRACT_RENEWAL).title == "Contract renews: Acme Mail"


def test_days_left_counts_down_and_goes_negative_once_past() -> None:
    due = deadline(3)
    assert [due.days_left(TODAY + timedelta(days=n)) for n in (0, 3, 5)] == [3, 0, -2]


# --- which reminder is due ----------------------------------------------------------------


@pytest.mark.parametrize("offset", DEFAULT_OFFSETS)
def test_each_default_offset_is_due_on_its_day(offset: int) -> None:
    assert step_due(deadline(offset), TODAY) == Step(offset)


@pytest.mark.parametrize(("days_left", "offset"), [(89, 90), (45, 90), (31, 90), (29, 30),
                                                   (20, 30), (8, 30), (6, 7), (3, 7), (1, 7)])
def test_between_offsets_the_earlier_reminder_is_still_due(days_left: int, offset: int) -> None:
    assert step_due(deadline(days_left), TODAY) == Step(offset)


def test_on_the_day_itself_the_day_zero_reminder_is_due() -> None:
    step = step_due(deadline(0), TODAY)
    assert step == Step(0)
    assert step.code == "d0"
    assert not step.escalation


@pytest.mark.parametrize("days_late", [1, 3, 400])
def test_once_the_day_has_passed_the_escalation_is_due(days_late: int) -> None:
    step = step_due(deadline(-days_late), TODAY)
    assert step == Step(None)
    assert step.escalation
    assert step.code == "overdue"


@pytest.mark.parametrize("days_left", [91, 365])
def test_nothing_is_due_further_off_than_the_largest_offset(days_left: int) -> None:
    assert step_due(deadline(days_left), TODAY) is None


def test_a_late_run_sends_only_the_reminder_for_today_not_the_ones_it_missed() -> None:
    due = deadline(100)
    steps = {step_due(due, TODAY + timedelta(days=n)) for n in (0, 75, 95)}
    assert steps == {None, Step(30), Step(7)}


def test_custom_offsets_replace_the_defaults_in_any_order() -> None:
    offsets = (14, 60)
    assert step_due(deadline(61), TODAY, offsets) is None
    assert step_due(deadline(60), TODAY, offsets) == Step(60)
    assert step_due(deadline(30), TODAY, offsets) == Step(60)
    assert step_due(deadline(14), TODAY, offsets) == Step(14)
    assert step_due(deadline(0), TODAY, offsets) == Step(14)
    assert step_due(deadline(-1), TODAY, offsets) == Step(None)


def test_with_no_offsets_only_the_escalation_is_sent() -> None:
    assert [step_due(deadline(days), TODAY, ()) for days in (90, 7, 0, -1)] == [
        None, None, None, Step(None)]


def test_the_step_codes_name_the_offset() -> None:
    assert [Step(offset).code for offset in (90, 30, 7, 0)] == ["d90", "d30", "d7", "d0"]


@pytest.mark.parametrize(("days_left", "text"), [
    (30, "due in 30 days (2026-12-28)"),
    (1, "due in 1 day (2026-11-29)"),
    (0, "due today"),
    (-1, "overdue by 1 day (was due 2026-11-27)"),
    (-3, "overdue by 3 days (was due 2026-11-25)"),
])
def test_a_step_describes_when_the_deadline_falls(days_left: int, text: str) -> None:
    due = deadline(days_left)
    step = step_due(due, TODAY)
    assert step is not None
    assert step.describe(due, TODAY) == text


# --- once-only keys -----------------------------------------------------------------------


def test_the_once_key_names_the_deadline_its_date_and_the_step() -> None:
    assert reminder(30, subject_id=42).once_key == "baa_expiry:42:2026-12-28:d30"
    assert reminder(-2, subject_id=42).once_key == "baa_expiry:42:2026-11-26:overdue"


def test_the_once_key_is_the_same_on_every_run_until_the_next_step() -> None:
    due = deadline(30)
    keys = set()
    for n in range(23):  # from 30 days before to 8 days before: the 30-day reminder
        step = step_due(due, TODAY + timedelta(days=n))
        assert step is not None
        keys.add(Reminder(due, step).once_key)
    assert keys == {"baa_expiry:1:2026-12-28:d30"}


def test_a_renewed_baa_gets_its_own_reminders() -> None:
    old = reminder(30)
    renewed = Reminder(deadline(30 + 365), Step(30))
    assert old.deadline.key == renewed.deadline.key
    assert old.once_key != renewed.once_key


def test_different_kinds_or_subjects_never_share_a_key() -> None:
    reminders = [reminder(7, kind=kind, subject_id=subject_id)
                 for kind in DeadlineKind for subject_id in (1, 2, 12)]
    assert len({r.once_key for r in reminders}) == len(reminders)


def test_the_longest_once_key_fits_its_column() -> None:
    longest = Reminder(deadline(7, kind=DeadlineKind.QUESTIONNAIRE_DUE,
                                subject_id=2**63 - 1), Step(3650))
    assert len(longest.once_key) <= 120


# --- the day's reminders ------------------------------------------------------------------


def test_reminders_due_lists_escalations_first_then_by_date_then_vendor() -> None:
    deadlines = [
        deadline(7, vendor_name="Zeta Labs"),
        deadline(200, vendor_name="Far Off"),
        deadline(30, vendor_name="Beta Health"),
        deadline(-1, vendor_name="Late Co"),
        deadline(7, vendor_name="Acme Mail"),
        deadline(-10, vendor_name="Later Co"),
    ]
    due = reminders_due(deadlines, TODAY)
    assert [(r.deadline.vendor_name, r.step.code) for r in due] == [
        ("Later Co", "overdue"),
        ("Late Co", "overdue"),
        ("Acme Mail", "d7"),
        ("Zeta Labs", "d7"),
        ("Beta Health", "d30"),
    ]


def test_reminders_due_uses_the_offsets_it_is_given() -> None:
    due = reminders_due([deadline(45), deadline(10, subject_id=2)], TODAY, offsets=(14,))
    assert [(r.deadline.subject_id, r.step) for r in due] == [(2, Step(14))]


# --- offsets from settings ----------------------------------------------------------------


@pytest.mark.parametrize(("text", "offsets"), [
    ("90, 30,7,0", (90, 30, 7, 0)),
    ("0,7,30,90", (90, 30, 7, 0)),
    ("30, 30, 7", (30, 7)),
    ("  14 ", (14,)),
    ("60,", (60,)),
    ("3650", (3650,)),
])
def test_parse_offsets_reads_days_largest_first_each_once(text: str,
                                                          offsets: tuple[int, ...]) -> None:
    assert parse_offsets(text) == offsets


@pytest.mark.parametrize(("text", "message"), [
    ("", "at least one number"),
    (" , ", "at least one number"),
    ("90, -7", "'-7' is negative"),
    ("90, ninety", "'ninety' is not a whole number"),
    ("7.5", "'7.5' is not a whole number"),
    ("30 7", "'30 7' is not a whole number"),
    ("+7", "'+7' is not a whole number"),
    ("٣", "'٣' is not a whole number"),
    ("3651", "'3651' is more than 3650 days"),
])
def test_parse_offsets_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_offsets(text)


# --- the weekly digest --------------------------------------------------------------------


@pytest.mark.parametrize(("day", "week"), [
    (date(2026, 11, 28), "2026-W48"),
    (date(2026, 12, 31), "2026-W53"),
    (date(2027, 1, 1), "2026-W53"),  # a Friday: still the last week of 2026
    (date(2024, 12, 30), "2025-W01"),  # a Monday: already the first week of 2025
    (date(2026, 1, 5), "2026-W02"),
])
def test_iso_week_labels_the_week_by_its_iso_year(day: date, week: str) -> None:
    assert iso_week(day) == week
    assert iso_week(day) == "{}-W{:02d}".format(*day.isocalendar()[:2])


def test_the_digest_splits_overdue_from_upcoming_soonest_first() -> None:
    digest = weekly_digest([
        deadline(20, vendor_name="Later"),
        deadline(-1, vendor_name="Yesterday"),
        deadline(0, vendor_name="Today"),
        deadline(-30, vendor_name="Long ago"),
        deadline(3, vendor_name="Soon"),
    ], TODAY)
    assert digest.week == "2026-W48"
    assert [d.vendor_name for d in digest.overdue] == ["Long ago", "Yesterday"]
    assert [d.vendor_name for d in digest.upcoming] == ["Today", "Soon", "Later"]


def test_the_digest_leaves_out_what_falls_beyond_its_horizon() -> None:
    deadlines = [deadline(30, vendor_name="Edge"), deadline(31, vendor_name="Beyond")]
    assert [d.vendor_name for d in weekly_digest(deadlines, TODAY).upcoming] == ["Edge"]
    assert [d.vendor_name for d in weekly_digest(deadlines, TODAY, 60).upcoming] == [
        "Edge", "Beyond"]
    assert weekly_digest(deadlines, TODAY, 7).upcoming == ()


def test_the_digest_refuses_a_negative_horizon() -> None:
    with pytest.raises(ValueError, match="negative"):
        weekly_digest([], TODAY, -1)


def test_the_digest_mail_gives_counts_then_one_line_per_deadline() -> None:
    digest = weekly_digest([
        deadline(48, kind=DeadlineKind.BAA_EXPIRY, vendor_name="Acme Mail",
                 detail="auto-renews; 60 days' notice"),
        deadline(-3, kind=DeadlineKind.REVIEW_DUE, vendor_name="Beta Health"),
    ], TODAY, horizon_days=60)
    assert digest.subject() == ("riskapp weekly digest 2026-W48: "
                                "1 overdue, 1 due in the next 60 days")
    body = digest.body()
    assert body.splitlines()[0] == "Deadlines for 2026-W48: 1 overdue, 1 due in the next 60 days."
    assert "2026-11-25  Reassessment due: Beta Health\n" in body
    assert "2027-01-15  BAA expires: Acme Mail  (auto-renews; 60 days' notice)\n" in body
    assert body.index("Beta Health") < body.index("Acme Mail")


def test_an_empty_digest_says_so() -> None:
    digest = weekly_digest([deadline(90)], TODAY)
    assert digest.subject() == ("riskapp weekly digest 2026-W48: "
                                "0 overdue, 0 due in the next 30 days")
    assert "Nothing is overdue." in digest.body()
    assert "Nothing is due in the next 30 days." in digest.body()


def test_a_vendor_name_cannot_add_lines_to_the_digest() -> None:
    digest = weekly_digest([deadline(3, vendor_name="Acme\n2026-11-29  Fake: line")], TODAY)
    assert not any(line.startswith("2026-11-29") for line in digest.body().splitlines())


# --- the reminder mail --------------------------------------------------------------------


def test_the_mail_subject_counts_the_deadlines_and_names_the_soonest() -> None:
    subject, _ = reminder_mail([reminder(30, vendor_name="Beta Health", subject_id=2),
                                reminder(7), reminder(90, subject_id=3)], TODAY)
    assert subject == "riskapp: 3 deadlines — BAA expires: Acme Mail in 7 days"


@pytest.mark.parametrize(("days_left", "subject"), [
    (1, "riskapp: 1 deadline — BAA expires: Acme Mail in 1 day"),
    (0, "riskapp: 1 deadline — BAA expires: Acme Mail today"),
    (-3, "riskapp: 1 deadline — BAA expires: Acme Mail overdue by 3 days"),
])
def test_the_mail_subject_says_when(days_left: int, subject: str) -> None:
    assert reminder_mail([reminder(days_left)], TODAY)[0] == subject


def test_the_mail_body_lists_overdue_first_flagged_with_what_when_and_detail() -> None:
    _, body = reminder_mail([
        reminder(7, kind=DeadlineKind.CONTRACT_NOTICE, vendor_name="Beta Health",
                 detail="auto-renews; 60 days' notice"),
        reminder(-3, kind=DeadlineKind.BAA_EXPIRY, vendor_name="Acme Mail"),
    ], TODAY)
    assert body == (
        "As of 2026-11-28, 2 deadlines need attention:\n"
        "\n"
        "OVERDUE  BAA expires: Acme Mail\n"
        "    overdue by 3 days (was due 2026-11-25)\n"
        "\n"
        "Last day to give notice on the contract: Beta Health\n"
        "    due in 7 days (2026-12-05)\n"
        "    auto-renews; 60 days' notice\n"
    )


def test_the_mail_links_each_vendor_when_given_the_base_url() -> None:
    _, body = reminder_mail([reminder(7, vendor_id=12), reminder(30, vendor_id=40, subject_id=2)],
                            TODAY, base_url="https://riskapp.example.org/")
    assert "    https://riskapp.example.org/vendors/12\n" in body
    assert "    https://riskapp.example.org/vendors/40\n" in body
    assert "/vendors/" not in reminder_mail([reminder(7)], TODAY)[1]


def test_a_vendor_name_cannot_add_a_header_to_the_mail() -> None:
    hostile = "Acme\r\nBcc: everyone@example.com\x00\x1b[31m\u2028\x85X"
    subject, _ = reminder_mail([reminder(7, vendor_name=hostile)], TODAY)
    assert subject == ("riskapp: 1 deadline — "
                       "BAA expires: Acme Bcc: everyone@example.com [31m X in 7 days")

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", subject
    message.set_content("body")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == subject


def test_a_vendor_name_cannot_add_lines_to_the_mail_body() -> None:
    _, body = reminder_mail([reminder(7, vendor_name="Acme\nOVERDUE  Fake",
                                      detail="renews\r\nhttps://evil.example")], TODAY)
    assert not any(line.startswith(("OVERDUE", "https://")) for line in body.splitlines())


def test_a_long_vendor_name_is_cut_short_in_the_subject_but_not_the_date() -> None:
    subject, body = reminder_mail([reminder(7, vendor_name="A" * 500)], TODAY)
    assert len(subject) == 200
    assert subject.endswith("AAA… in 7 days")
    assert "A" * 500 in body


def test_there_is_no_mail_without_reminders() -> None:
    with pytest.raises(ValueError, match="No reminders"):
        reminder_mail([], TODAY)
