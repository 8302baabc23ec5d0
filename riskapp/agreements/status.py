"""What a vendor's BAA, contract and approval mean today: pure functions, no database.

The officer records a BAA's status; what it *is* today also depends on the calendar. A signed
BAA whose expiry date has passed is expired, unless it renews itself, in which case its
current term is found by rolling the dates forward. The scoring engine, the vendor page, the
reports and the reminders all read the same :class:`BaaState`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from riskapp.agreements.models import BaaStatus, Decision

# 45 CFR 164.410(b): a business associate reports a breach without unreasonable delay and in
# no case later than 60 calendar days after discovery.
HIPAA_BREACH_NOTICE_DAYS = 60
DEFAULT_TERM_MONTHS = 12

# How each status reads to the scoring engine (see riskapp.scoring.engine.BAA_UNSIGNED).
SCORING_STATUS = {
    BaaStatus.NOT_REQUIRED: "not_required",
    BaaStatus.MISSING: "missing",
    BaaStatus.REQUESTED: "pending",
    BaaStatus.NEGOTIATING: "pending",
    BaaStatus.SIGNED: "signed",
    BaaStatus.EXPIRED: "expired",
    BaaStatus.TERMINATED: "terminated",
    BaaStatus.REFUSED: "refused",
}


class BaaTerms(Protocol):
    """The fields of an :class:`~riskapp.agreements.models.Agreement` the status reads."""

    baa_required: bool | None
    baa_status: str
    baa_effective_on: date | None
    baa_expires_on: date | None
    baa_auto_renews: bool
    baa_notice_days: int | None


@dataclass(frozen=True)
class BaaState:
    """The BAA as it stands on a given day."""

    required: bool
    status: BaaStatus
    recorded: BaaStatus
    expires_on: date | None = None  # the end of the current term (rolled forward if renewing)
    note: str = ""  # why the status differs from the one recorded, or what to know about it

    @property
    def in_force(self) -> bool:
        return self.status is BaaStatus.SIGNED and not self.not_yet_effective

    @property
    def not_yet_effective(self) -> bool:
        return self.note.startswith("signed, effective from")

    @property
    def satisfied(self) -> bool:
        """Nothing is missing: not required, or signed and in force."""
        return not self.required or self.in_force

    @property
    def scoring_status(self) -> str:
        if self.not_yet_effective:
            return "pending"
        return SCORING_STATUS[self.status]

    @property
    def label(self) -> str:
        return self.status.label


def baa_state(terms: BaaTerms | None, *, handles_phi: bool, today: date) -> BaaState:
    """What the BAA is on ``today``; with no terms recorded, missing when one is required."""
    required = handles_phi if terms is None or terms.baa_required is None else terms.baa_required
    recorded = BaaStatus(terms.baa_status) if terms is not None else BaaStatus.MISSING
    expires = terms.baa_expires_on if terms is not None else None
    if not required and recorded in (BaaStatus.MISSING, BaaStatus.NOT_REQUIRED):
        return BaaState(False, BaaStatus.NOT_REQUIRED, recorded, expires)
    if recorded is BaaStatus.NOT_REQUIRED:
        return BaaState(True, BaaStatus.MISSING, recorded, expires,
                        "recorded as not required, but the vendor handles PHI")
    if recorded is not BaaStatus.SIGNED or terms is None:
        return BaaState(required, recorded, recorded, expires)
    if terms.baa_effective_on and terms.baa_effective_on > today:
        return BaaState(required, recorded, recorded, expires,
                        f"signed, effective from {terms.baa_effective_on.isoformat()}")
    if expires is None or expires >= today:
        return BaaState(required, recorded, recorded, expires)
    if terms.baa_auto_renews:
        current = current_term_end(terms.baa_effective_on, expires, today)
        return BaaState(required, recorded, recorded, current,
                        f"renewed automatically; the current term ends {current.isoformat()}")
    return BaaState(required, BaaStatus.EXPIRED, recorded, expires,
                    f"signed, but it expired on {expires.isoformat()}")


def current_term_end(effective_on: date | None, expires_on: date, today: date) -> date:
    """The end of the term running on ``today`` of an agreement that renews itself for terms
    as long as its first (a year when the start is unknown).

    Terms of whole months (1 March to 1 March, or 1 January to 31 December) roll by calendar
    months, so a yearly BAA keeps its anniversary across leap years; other terms roll by days.
    """
    if effective_on is None or effective_on >= expires_on:
        return _roll(expires_on, DEFAULT_TERM_MONTHS, timedelta(0), 0, expires_on, today)
    months = _whole_months(effective_on, expires_on)
    if months:
        return _roll(effective_on, months, timedelta(0), 1, expires_on, today)
    months = _whole_months(effective_on, expires_on + timedelta(days=1))
    if months:  # the term ends the day before its anniversary
        return _roll(effective_on, months, timedelta(days=1), 1, expires_on, today)
    term = (expires_on - effective_on).days
    terms_passed = -(-(today - expires_on).days // term)  # ceiling division
    return expires_on + timedelta(days=max(terms_passed, 0) * term)


def _whole_months(start: date, end: date) -> int | None:
    """How many calendar months from ``start`` to ``end``, when that is a whole number."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if months > 0 and add_months(start, months) == end else None


def _roll(anchor: date, months: int, back: timedelta, first: int, expires_on: date,
          today: date) -> date:
    """The first term end on or after ``today``: ``anchor`` plus a whole number of terms
    (counted from the anchor itself, so month ends are kept), less ``back``."""
    terms, end = first, expires_on
    while end < today:
        terms += 1
        end = add_months(anchor, terms * months) - back
    return end


def notice_deadline(ends_on: date | None, notice_days: int | None) -> date | None:
    """The last day to give notice before ``ends_on`` (to stop a renewal, or to end)."""
    if ends_on is None or not notice_days:
        return None
    return ends_on - timedelta(days=notice_days)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, kept to the month's last day (31 Jan + 1 month = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review_on(last_assessed_on: date | None, tier: str | None,
                   cadence_months: dict[str, int]) -> date | None:
    """When the vendor must be assessed again: its tier's cadence after the last completed
    assessment. A vendor never assessed has no reassessment date (it needs a first one)."""
    if last_assessed_on is None:
        return None
    months = cadence_months.get(tier or "", max(cadence_months.values(), default=12))
    return add_months(last_assessed_on, months)


@dataclass(frozen=True)
class BreachWindow:
    days: int
    from_baa: bool  # False: the BAA sets none, or a longer one, so the law's outer limit applies
    baa_days: int | None = None  # what the BAA allows, when that is longer than the law does

    def report_by(self, discovered_on: date) -> date:
        return discovered_on + timedelta(days=self.days)

    def describe(self) -> str:
        """A sentence, capitalised, without its full stop."""
        if self.from_baa:
            return f"{self.days} days from discovery, as the BAA requires"
        if self.baa_days:
            return (f"At most {self.days} days from discovery (45 CFR 164.410): the BAA's "
                    f"{self.baa_days} days cannot extend the law's limit")
        return (f"No window in the BAA: at most {self.days} days from discovery "
                "(45 CFR 164.410)")


def breach_window(breach_notice_days: int | None) -> BreachWindow:
    """The days a vendor has to report a breach: the BAA's, but never more than the law's."""
    if breach_notice_days and breach_notice_days > HIPAA_BREACH_NOTICE_DAYS:
        return BreachWindow(HIPAA_BREACH_NOTICE_DAYS, from_baa=False,
                            baa_days=breach_notice_days)
    if breach_notice_days:
        return BreachWindow(breach_notice_days, from_baa=True)
    return BreachWindow(HIPAA_BREACH_NOTICE_DAYS, from_baa=False)


def phi_approval_refusal(state: BaaState) -> str | None:
    """Why the vendor cannot be approved for PHI now, or ``None`` when it can."""
    if state.in_force:
        return None
    if state.status is BaaStatus.SIGNED:
        return f"Its BAA is not in force yet ({state.note})."
    return (f"A vendor can be approved for PHI only with a signed BAA in force; "
            f"this one's BAA is {state.label.lower()}"
            + (f" ({state.note})." if state.note else "."))


@dataclass(frozen=True)
class DecisionStanding:
    decision: Decision | None
    label: str
    needs_attention: bool = False
    why: str = ""


def decision_standing(decision: Decision | None, conditions_due_on: date | None,
                      state: BaaState, today: date) -> DecisionStanding:
    """The newest decision as it stands today: an approval for PHI whose BAA has lapsed, or
    conditions not met by their date, need the officer's attention."""
    if decision is None:
        return DecisionStanding(None, "No decision yet")
    if decision is Decision.APPROVED_PHI and not state.in_force:
        return DecisionStanding(decision, "Needs attention", True,
                                f"approved for PHI, but the BAA is now {state.label.lower()}"
                                + (f" ({state.note})" if state.note else ""))
    if decision is Decision.CONDITIONAL and conditions_due_on and conditions_due_on < today:
        return DecisionStanding(decision, "Needs attention", True,
                                f"the conditions were due on {conditions_due_on.isoformat()}")
    return DecisionStanding(decision, decision.label)
