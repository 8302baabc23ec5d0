"""What a BAA, a contract and a decision mean on a given day: the status the officer recorded,
corrected by the calendar (expiry, automatic renewal, a start date still to come), the notice
deadlines, the reassessment cadence, the breach-report window and the approval gate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from riskapp.agreements.models import BaaStatus, Decision
from riskapp.agreements.status import (
    BaaState,
    add_months,
    baa_state,
    breach_window,
    decision_standing,
    next_review_on,
    notice_deadline,
    phi_approval_refusal,
)

DEFAULT_CADENCE = {"critical": 6, "high": 12, "moderate": 18, "low": 24}


@dataclass
class Terms:
    """The BAA fields of an agreement, as the officer recorded them."""

    baa_status: str = BaaStatus.MISSING.value
    baa_required: bool | None = None
    baa_effective_on: date | None = None
    baa_expires_on: date | None = None
    baa_auto_renews: bool = False
    baa_notice_days: int | None = None


def signed(effective_on: date = date(2023, 7, 1), expires_on: date | None = date(2024, 6, 30),
           *, auto_renews: bool = False) -> Terms:
    return Terms(BaaStatus.SIGNED.value, baa_effective_on=effective_on,
                 baa_expires_on=expires_on, baa_auto_renews=auto_renews)


def state(terms: Terms | None, on: date, *, handles_phi: bool = True) -> BaaState:
    return baa_state(terms, handles_phi=handles_phi, today=on)


# --- whether a BAA is required --------------------------------------------------------------

def test_a_phi_vendor_with_nothing_recorded_is_missing_its_baa() -> None:
    missing = state(None, date(2024, 6, 1))

    assert (missing.required, missing.status, missing.label) == (
        True, BaaStatus.MISSING, "Required but missing")
    assert missing.scoring_status == "missing"
    assert not missing.satisfied


def test_a_vendor_without_phi_needs_no_baa_by_default() -> None:
    for terms in (None, Terms()):
        not_needed = state(terms, date(2024, 6, 1), handles_phi=False)
        assert (not_needed.required, not_needed.status) == (False, BaaStatus.NOT_REQUIRED)
        assert not_needed.scoring_status == "not_required"
        assert not_needed.satisfied


def test_the_officer_may_require_a_baa_of_a_vendor_without_phi() -> None:
    required = state(Terms(BaaStatus.REQUESTED.value, baa_required=True), date(2024, 6, 1),
                     handles_phi=False)

    assert (required.required, required.status) == (True, BaaStatus.REQUESTED)
    assert not required.satisfied


def test_the_officer_may_waive_the_baa_of_a_phi_vendor() -> None:
    waived = state(Terms(baa_required=False), date(2024, 6, 1), handles_phi=True)

    assert (waived.required, waived.status) == (False, BaaStatus.NOT_REQUIRED)
    assert waived.satisfied


def test_not_required_recorded_for_a_phi_vendor_shows_as_missing_and_says_why() -> None:
    contradicted = state(Terms(BaaStatus.NOT_REQUIRED.value), date(2024, 6, 1))

    assert contradicted.status is BaaStatus.MISSING
    assert contradicted.recorded is BaaStatus.NOT_REQUIRED
    assert contradicted.note == "recorded as not required, but the vendor handles PHI"
    assert contradicted.scoring_status == "missing"


# --- every status --------------------------------------------------------------------------

@pytest.mark.parametrize(("terms", "label", "scoring"), [
    (Terms(BaaStatus.NOT_REQUIRED.value, baa_required=False), "Not required", "not_required"),
    (Terms(BaaStatus.MISSING.value), "Required but missing", "missing"),
    (Terms(BaaStatus.REQUESTED.value), "Requested", "pending"),
    (Terms(BaaStatus.NEGOTIATING.value), "In negotiation", "pending"),
    (signed(), "Signed", "signed"),
    (Terms(BaaStatus.EXPIRED.value, baa_expires_on=date(2024, 1, 31)), "Expired", "expired"),
    (Terms(BaaStatus.TERMINATED.value), "Terminated", "terminated"),
    (Terms(BaaStatus.REFUSED.value), "Vendor refuses", "refused"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_each_recorded_status_reads_as_recorded_while_the_dates_agree(
        terms: Terms, label: str, scoring: str) -> None:
    today = state(terms, date(2024, 6, 1))

    assert today.status is today.recorded is BaaStatus(terms.baa_status)
    assert (today.label, today.scoring_status, today.note) == (label, scoring, "")
    assert today.in_force == (today.status is BaaStatus.SIGNED)


def test_the_status_table_covers_every_status() -> None:
    labels = [status.label for status in BaaStatus]
    assert len(set(labels)) == len(BaaStatus) == 8
    assert [status for status in BaaStatus if status.in_force] == [BaaStatus.SIGNED]


# --- expiry ----------------------------------------------------------------------------------

def test_a_signed_baa_is_in_force_up_to_and_on_its_expiry_day() -> None:
    for day in (date(2023, 7, 1), date(2024, 6, 30)):
        current = state(signed(), day)
        assert current.status is BaaStatus.SIGNED
        assert current.in_force
        assert current.expires_on == date(2024, 6, 30)


def test_a_signed_baa_past_its_expiry_shows_as_expired() -> None:
    lapsed = state(signed(), date(2024, 7, 1))

    assert lapsed.status is BaaStatus.EXPIRED
    assert lapsed.recorded is BaaStatus.SIGNED
    assert lapsed.label == "Expired"
    assert lapsed.note == "signed, but it expired on 2024-06-30"
    assert lapsed.scoring_status == "expired"
    assert not lapsed.in_force
    assert not lapsed.satisfied


def test_a_signed_baa_without_an_expiry_date_stays_in_force() -> None:
    assert state(signed(expires_on=None), date(2040, 1, 1)).in_force


def test_a_baa_signed_to_take_effect_later_is_not_in_force_yet() -> None:
    early = state(signed(effective_on=date(2024, 7, 1), expires_on=date(2025, 6, 30)),
                  date(2024, 6, 15))

    assert early.status is BaaStatus.SIGNED
    assert early.not_yet_effective
    assert not early.in_force
    assert early.note == "signed, effective from 2024-07-01"
    assert early.scoring_status == "pending"
    assert state(signed(effective_on=date(2024, 7, 1), expires_on=date(2025, 6, 30)),
                 date(2024, 7, 1)).in_force


def test_a_baa_not_required_stays_not_required_whatever_the_dates() -> None:
    old = Terms(BaaStatus.NOT_REQUIRED.value, baa_required=False,
                baa_expires_on=date(2020, 1, 1))
    assert state(old, date(2024, 6, 1)).status is BaaStatus.NOT_REQUIRED


# --- automatic renewal -----------------------------------------------------------------------

YEARLY_FROM_1_MARCH = signed(date(2022, 3, 1), date(2023, 3, 1), auto_renews=True)


@pytest.mark.parametrize(("on", "term_ends"), [
    (date(2023, 3, 1), date(2023, 3, 1)),   # the first term's last day
    (date(2023, 3, 2), date(2024, 3, 1)),   # renewed once
    (date(2024, 6, 1), date(2025, 3, 1)),   # twice, across 29 February 2024
    (date(2026, 3, 1), date(2026, 3, 1)),   # the fourth term's last day
    (date(2026, 3, 2), date(2027, 3, 1)),
])
def test_a_renewing_baa_rolls_forward_to_the_term_running_today(on: date,
                                                                 term_ends: date) -> None:
    today = state(YEARLY_FROM_1_MARCH, on)

    assert today.status is BaaStatus.SIGNED
    assert today.in_force
    assert today.expires_on == term_ends


def test_a_renewal_says_when_the_current_term_ends() -> None:
    assert state(YEARLY_FROM_1_MARCH, date(2024, 6, 1)).note == (
        "renewed automatically; the current term ends 2025-03-01")


def test_a_calendar_year_term_renews_for_calendar_years() -> None:
    calendar_years = signed(date(2023, 1, 1), date(2023, 12, 31), auto_renews=True)

    assert state(calendar_years, date(2025, 6, 1)).expires_on == date(2025, 12, 31)
    assert state(calendar_years, date(2028, 12, 31)).expires_on == date(2028, 12, 31)


def test_a_monthly_term_ending_at_month_end_keeps_ending_at_month_end() -> None:
    monthly = signed(date(2024, 1, 31), date(2024, 2, 29), auto_renews=True)

    assert state(monthly, date(2024, 4, 15)).expires_on == date(2024, 4, 30)
    assert state(monthly, date(2024, 5, 1)).expires_on == date(2024, 5, 31)


def test_a_term_of_odd_length_renews_for_as_many_days() -> None:
    hundred_days = signed(date(2024, 1, 1), date(2024, 4, 10), auto_renews=True)

    assert state(hundred_days, date(2024, 5, 1)).expires_on == date(2024, 7, 19)


def test_a_renewing_baa_with_no_known_start_renews_yearly_on_its_anniversary() -> None:
    leap_day = Terms(BaaStatus.SIGNED.value, baa_expires_on=date(2024, 2, 29),
                     baa_auto_renews=True)

    assert state(leap_day, date(2024, 3, 1)).expires_on == date(2025, 2, 28)
    assert state(leap_day, date(2025, 3, 1)).expires_on == date(2026, 2, 28)
    assert state(leap_day, date(2028, 1, 1)).expires_on == date(2028, 2, 29)
    assert state(leap_day, date(2028, 1, 1)).in_force


def test_a_baa_that_does_not_renew_is_not_rolled_forward() -> None:
    assert state(signed(auto_renews=False), date(2024, 7, 1)).status is BaaStatus.EXPIRED


# --- notice deadlines and months -------------------------------------------------------------

def test_the_notice_deadline_is_the_notice_period_before_the_end() -> None:
    assert notice_deadline(date(2025, 3, 1), 60) == date(2024, 12, 31)
    assert notice_deadline(date(2025, 3, 1), 1) == date(2025, 2, 28)


@pytest.mark.parametrize(("ends_on", "days"), [
    (None, 30), (date(2025, 3, 1), None), (date(2025, 3, 1), 0)])
def test_no_notice_deadline_without_an_end_date_or_a_notice_period(
        ends_on: date | None, days: int | None) -> None:
    assert notice_deadline(ends_on, days) is None


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2024, 3, 31), 1, date(2024, 4, 30)),
    (date(2024, 11, 30), 3, date(2025, 2, 28)),
    (date(2024, 12, 15), 1, date(2025, 1, 15)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2024, 3, 31), -1, date(2024, 2, 29)),
    (date(2024, 1, 15), -1, date(2023, 12, 15)),
    (date(2024, 5, 10), 0, date(2024, 5, 10)),
])
def test_adding_months_keeps_to_the_last_day_of_a_shorter_month(
        day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


# --- reassessment cadence --------------------------------------------------------------------

@pytest.mark.parametrize(("tier", "due"), [
    ("critical", date(2024, 7, 31)),
    ("high", date(2025, 1, 31)),
    ("moderate", date(2025, 7, 31)),
    ("low", date(2026, 1, 31)),
])
def test_the_next_review_follows_the_tier_cadence(tier: str, due: date) -> None:
    assert next_review_on(date(2024, 1, 31), tier, DEFAULT_CADENCE) == due


def test_a_configured_cadence_replaces_the_default() -> None:
    quarterly = DEFAULT_CADENCE | {"critical": 3}
    assert next_review_on(date(2024, 1, 31), "critical", quarterly) == date(2024, 4, 30)


def test_a_vendor_never_assessed_has_no_review_date() -> None:
    assert next_review_on(None, "critical", DEFAULT_CADENCE) is None


def test_a_vendor_assessed_but_never_rated_gets_the_longest_cadence() -> None:
    assert next_review_on(date(2024, 1, 31), None, DEFAULT_CADENCE) == date(2026, 1, 31)


# --- breach-report window --------------------------------------------------------------------

def test_the_breach_window_comes_from_the_baa() -> None:
    window = breach_window(10)

    assert (window.days, window.from_baa) == (10, True)
    assert window.report_by(date(2024, 6, 25)) == date(2024, 7, 5)
    assert window.describe() == "10 days from discovery, as the BAA requires"


def test_without_a_window_in_the_baa_the_law_allows_at_most_60_days() -> None:
    window = breach_window(None)

    assert (window.days, window.from_baa) == (60, False)
    assert window.report_by(date(2024, 6, 1)) == date(2024, 7, 31)
    assert window.describe() == ("No window in the BAA: at most 60 days from discovery "
                                 "(45 CFR 164.410)")


def test_a_baa_of_exactly_60_days_is_the_baa_window() -> None:
    assert breach_window(60).from_baa


def test_a_baa_allowing_longer_than_60_days_cannot_extend_the_law() -> None:
    window = breach_window(90)

    assert window.days == 60
    assert window.report_by(date(2024, 6, 1)) == date(2024, 7, 31)
    assert window.describe() == ("At most 60 days from discovery (45 CFR 164.410): the BAA's "
                                 "90 days cannot extend the law's limit")


# --- the approval gate -----------------------------------------------------------------------

def test_a_vendor_whose_baa_is_in_force_may_be_approved_for_phi() -> None:
    assert phi_approval_refusal(state(signed(), date(2024, 6, 1))) is None


@pytest.mark.parametrize(("terms", "said"), [
    (None, "this one's BAA is required but missing."),
    (Terms(BaaStatus.NEGOTIATING.value), "this one's BAA is in negotiation."),
    (Terms(BaaStatus.REFUSED.value), "this one's BAA is vendor refuses."),
    (signed(), "this one's BAA is expired (signed, but it expired on 2024-06-30)."),
], ids=["missing", "negotiating", "refused", "expired"])
def test_approval_for_phi_is_refused_without_a_signed_baa_in_force(
        terms: Terms | None, said: str) -> None:
    refusal = phi_approval_refusal(state(terms, date(2024, 7, 1)))

    assert refusal is not None
    assert refusal.startswith("A vendor can be approved for PHI only with a signed BAA in "
                              "force; ")
    assert refusal.endswith(said)


def test_approval_for_phi_waits_for_the_baa_to_take_effect() -> None:
    early = state(signed(effective_on=date(2024, 7, 1), expires_on=None), date(2024, 6, 15))

    assert phi_approval_refusal(early) == (
        "Its BAA is not in force yet (signed, effective from 2024-07-01).")


# --- a decision as it stands -----------------------------------------------------------------

IN_FORCE = state(signed(), date(2024, 6, 1))
LAPSED = state(signed(), date(2024, 7, 1))


def test_no_decision_yet() -> None:
    standing = decision_standing(None, None, IN_FORCE, date(2024, 6, 1))
    assert (standing.label, standing.needs_attention) == ("No decision yet", False)


@pytest.mark.parametrize(("decision", "label"), [
    (Decision.APPROVED_PHI, "Approved for PHI"),
    (Decision.APPROVED_NO_PHI, "Approved without PHI"),
    (Decision.REJECTED, "Rejected"),
])
def test_a_decision_stands_with_its_label(decision: Decision, label: str) -> None:
    standing = decision_standing(decision, None, IN_FORCE, date(2024, 6, 1))
    assert (standing.decision, standing.label, standing.needs_attention) == (
        decision, label, False)


def test_an_approval_for_phi_needs_attention_once_the_baa_lapses() -> None:
    standing = decision_standing(Decision.APPROVED_PHI, None, LAPSED, date(2024, 7, 1))

    assert standing.label == "Needs attention"
    assert standing.needs_attention
    assert standing.why == ("approved for PHI, but the BAA is now expired "
                            "(signed, but it expired on 2024-06-30)")


def test_an_approval_without_phi_is_untouched_by_the_baa() -> None:
    missing = state(None, date(2024, 7, 1))
    standing = decision_standing(Decision.APPROVED_NO_PHI, None, missing, date(2024, 7, 1))
    assert not standing.needs_attention


def test_a_conditional_approval_needs_attention_after_its_due_date() -> None:
    due = date(2024, 6, 30)

    on_time = decision_standing(Decision.CONDITIONAL, due, IN_FORCE, due)
    overdue = decision_standing(Decision.CONDITIONAL, due, IN_FORCE, date(2024, 7, 1))

    assert (on_time.label, on_time.needs_attention) == ("Conditionally approved", False)
    assert (overdue.label, overdue.needs_attention) == ("Needs attention", True)
    assert overdue.why == "the conditions were due on 2024-06-30"
