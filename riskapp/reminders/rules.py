"""Decide which deadline reminders are due and word them: pure functions, no Flask, no database.

A :class:`Deadline` is one date that matters about a vendor (a BAA expiring, a contract's notice
window closing, a reassessment falling due). Each gets a reminder at a few offsets before it
(90, 30, 7 and 0 days by default) and one escalation once it has passed. :func:`step_due` names
the single reminder a deadline is due for today; :attr:`Reminder.once_key` names it for good, so
the job that sends reminders can record it and never send it twice, however often it runs.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from riskapp.one_line import one_line

DEFAULT_OFFSETS = (90, 30, 7, 0)
MAX_OFFSET = 3650  # ten years: anything further is a typo, not a reminder
ONCE_KEY_MAX_CHARS = 120
SUBJECT_MAX_CHARS = 200  # well inside the 300 characters a delivery row keeps


class DeadlineKind(enum.StrEnum):
    BAA_EXPIRY = "baa_expiry"
    BAA_NOTICE = "baa_notice"  # an auto-renewing BAA: the last day to give notice of non-renewal
    CONTRACT_RENEWAL = "contract_renewal"
    CONTRACT_NOTICE = "contract_notice"
    CONTRACT_END = "contract_end"
    REVIEW_DUE = "review_due"
    QUESTIONNAIRE_DUE = "questionnaire_due"
    DECISION_DUE = "decision_due"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    DeadlineKind.BAA_EXPIRY: "BAA expires",
    DeadlineKind.BAA_NOTICE: "Last day to give notice on the BAA",
    DeadlineKind.CONTRACT_RENEWAL: "Contract renews",
    DeadlineKind.CONTRACT_NOTICE: "Last day to give notice on the contract",
    DeadlineKind.CONTRACT_END: "Contract ends",
    DeadlineKind.REVIEW_DUE: "Reassessment due",
    DeadlineKind.QUESTIONNAIRE_DUE: "Questionnaire due from the vendor",
    DeadlineKind.DECISION_DUE: "Conditions of approval due",
}


@dataclass(frozen=True)
class Deadline:
    """One date that matters about a vendor.

    ``subject_id`` is the row the deadline belongs to (an agreement, assessment, decision or
    vendor, by kind); ``owner_ids`` are the users who own it, possibly none; ``detail`` is one
    line for the mail and the calendar, such as "auto-renews; 60 days' notice".
    """

    kind: DeadlineKind
    subject_id: int
    vendor_id: int
    vendor_name: str
    due_on: date
    owner_ids: tuple[int, ...] = ()
    detail: str = ""

    @property
    def key(self) -> str:
        """Name the deadline the same way on every run, whatever its date."""
        return f"{self.kind.value}:{self.subject_id}"

    @property
    def title(self) -> str:
        return f"{self.kind.label}: {self.vendor_name}"

    def days_left(self, today: date) -> int:
        """Count the days from ``today`` to the deadline; negative once it has passed."""
        return (self.due_on - today).days


@dataclass(frozen=True)
class Step:
    """Which reminder a deadline is due for: ``offset`` days before it, or (None) overdue."""

    offset: int | None

    @property
    def escalation(self) -> bool:
        return self.offset is None

    @property
    def code(self) -> str:
        return "overdue" if self.offset is None else f"d{self.offset}"

    def describe(self, deadline: Deadline, today: date) -> str:
        """Say when the deadline falls, as seen from ``today``: "due in 30 days (2027-01-15)"."""
        days = deadline.days_left(today)
        if days > 0:
            return f"due in {_days(days)} ({deadline.due_on.isoformat()})"
        if days == 0:
            return "due today"
        return f"overdue by {_days(-days)} (was due {deadline.due_on.isoformat()})"


def step_due(deadline: Deadline, today: date, offsets: Sequence[int] = DEFAULT_OFFSETS
             ) -> Step | None:
    """Name the reminder ``deadline`` is due for on ``today``, or None while it is far off.

    That is the smallest offset not less than the days left, so a job that ran late, or a
    deadline added 20 days before it falls, sends the 30-day reminder once rather than the 90-
    and 30-day ones together; and the overdue escalation once the day has passed. The same step
    is due every day until the next one: sending it only once is the caller's job, through
    :attr:`Reminder.once_key`.
    """
    days = deadline.days_left(today)
    if days < 0:
        return Step(None)
    reached = [offset for offset in offsets if offset >= days]
    return Step(min(reached)) if reached else None


@dataclass(frozen=True)
class Reminder:
    """One reminder of one deadline, due today."""

    deadline: Deadline
    step: Step

    @property
    def once_key(self) -> str:
        """Name this reminder for good; a new due date (a renewed BAA) gives new names."""
        key = f"{self.deadline.key}:{self.deadline.due_on.isoformat()}:{self.step.code}"
        if len(key) > ONCE_KEY_MAX_CHARS:
            raise ValueError(f"once key longer than {ONCE_KEY_MAX_CHARS} characters: {key}")
        return key


def _urgency(reminder: Reminder) -> tuple[bool, date, str, str]:
    deadline = reminder.deadline
    return (not reminder.step.escalation, deadline.due_on, deadline.vendor_name, deadline.key)


def reminders_due(deadlines: Iterable[Deadline], today: date,
                  offsets: Sequence[int] = DEFAULT_OFFSETS) -> list[Reminder]:
    """List the reminders due on ``today``: escalations first, then by date and vendor."""
    due = []
    for deadline in deadlines:
        step = step_due(deadline, today, offsets)
        if step is not None:
            due.append(Reminder(deadline, step))
    return sorted(due, key=_urgency)


_NUMBER = re.compile(r"[0-9]+")
_NEGATIVE = re.compile(r"-\s*[0-9]+")


def parse_offsets(text: str) -> tuple[int, ...]:
    """Read "90, 30, 7, 0" into (90, 30, 7, 0): largest first, each once."""
    pieces = [piece.strip() for piece in text.split(",")]
    if not any(pieces):
        raise ValueError("Give at least one number of days, such as 90, 30, 7, 0.")
    offsets = set()
    for piece in filter(None, pieces):
        if _NEGATIVE.fullmatch(piece):
            raise ValueError(f"{piece!r} is negative: give days before the deadline, "
                             "0 for the day itself.")
        if not _NUMBER.fullmatch(piece):
            raise ValueError(f"{piece!r} is not a whole number of days.")
        offset = int(piece)
        if offset > MAX_OFFSET:
            raise ValueError(f"{piece!r} is more than {MAX_OFFSET} days (ten years) ahead.")
        offsets.add(offset)
    return tuple(sorted(offsets, reverse=True))


def iso_week(day: date) -> str:
    """Label the ISO week ``day`` falls in, such as "2026-W53" (its year may not be the day's)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Digest:
    """Leadership's weekly digest: what is overdue and what falls within the horizon."""

    week: str
    overdue: tuple[Deadline, ...]
    upcoming: tuple[Deadline, ...]  # due within the next ``horizon_days``, soonest first
    horizon_days: int = 30

    def subject(self) -> str:
        return (f"riskapp weekly digest {self.week}: {len(self.overdue)} overdue, "
                f"{len(self.upcoming)} due in the next {_days(self.horizon_days)}")

    def body(self) -> str:
        within = f"due in the next {_days(self.horizon_days)}"
        lines = [f"Deadlines for {self.week}: {len(self.overdue)} overdue, "
                 f"{len(self.upcoming)} {within}.", ""]
        for heading, deadlines, none in (("Overdue", self.overdue, "Nothing is overdue."),
                                         (within.capitalize(), self.upcoming,
                                          f"Nothing is {within}.")):
            lines.append(f"{heading}:" if deadlines else none)
            lines.extend(_digest_line(deadline) for deadline in deadlines)
            lines.append("")
        return "\n".join(lines)


def _digest_line(deadline: Deadline) -> str:
    line = f"{deadline.due_on.isoformat()}  {one_line(deadline.title)}"
    detail = one_line(deadline.detail)
    return f"{line}  ({detail})" if detail else line


def _by_date(deadline: Deadline) -> tuple[date, str, str]:
    return deadline.due_on, deadline.vendor_name, deadline.key


def weekly_digest(deadlines: Iterable[Deadline], today: date, horizon_days: int = 30) -> Digest:
    """Split the deadlines into overdue and due within ``horizon_days`` (today included)."""
    if horizon_days < 0:
        raise ValueError("The digest's horizon cannot be negative.")
    ordered = sorted(deadlines, key=_by_date)
    horizon = today + timedelta(days=horizon_days)
    return Digest(
        week=iso_week(today),
        overdue=tuple(deadline for deadline in ordered if deadline.due_on < today),
        upcoming=tuple(deadline for deadline in ordered if today <= deadline.due_on <= horizon),
        horizon_days=horizon_days,
    )


def reminder_mail(reminders: Sequence[Reminder], today: date, *, base_url: str = ""
                  ) -> tuple[str, str]:
    """Write one plain-text mail to one person: its subject and body, the most urgent first.

    Vendor names are the vendor's own text: the subject is kept to one line of printable
    characters, so a name cannot add a header.
    """
    if not reminders:
        raise ValueError("No reminders to mail.")
    ordered = sorted(reminders, key=_urgency)
    first = ordered[0].deadline
    count = len(ordered)
    prefix = f"riskapp: {count} deadline{'' if count == 1 else 's'} — "
    when = f" {_when(first.days_left(today))}"
    title = one_line(first.title)
    room = SUBJECT_MAX_CHARS - len(prefix) - len(when)
    if len(title) > room:  # a long vendor name gives way; when it falls does not
        title = title[:room - 1].rstrip() + "…"
    subject = prefix + title + when
    lines = [f"As of {today.isoformat()}, {count} deadline{'' if count == 1 else 's'} "
             f"need{'s' if count == 1 else ''} attention:", ""]
    for reminder in ordered:
        lines.extend(_mail_entry(reminder, today, base_url))
        lines.append("")
    return subject, "\n".join(lines)


def _mail_entry(reminder: Reminder, today: date, base_url: str) -> list[str]:
    deadline = reminder.deadline
    flag = "OVERDUE  " if reminder.step.escalation else ""
    entry = [f"{flag}{one_line(deadline.kind.label)}: {one_line(deadline.vendor_name)}",
             f"    {reminder.step.describe(deadline, today)}"]
    if detail := one_line(deadline.detail):
        entry.append(f"    {detail}")
    if base_url:
        entry.append(f"    {vendor_url(base_url, deadline.vendor_id)}")
    return entry


def vendor_url(base_url: str, vendor_id: int) -> str:
    return f"{base_url.rstrip('/')}/vendors/{vendor_id}"


def _when(days: int) -> str:
    if days > 0:
        return f"in {_days(days)}"
    if days == 0:
        return "today"
    return f"overdue by {_days(-days)}"


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"
