"""Which deadlines the app knows of: from BAAs, contracts, assessments and approvals, with
their dates and owners, for working vendors only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask

from riskapp.agreements.models import Agreement, BaaStatus, Decision
from riskapp.assessments.models import Status
from riskapp.database import db
from riskapp.reminders import services
from riskapp.reminders.rules import Deadline, DeadlineKind
from riskapp.scoring import services as scoring
from riskapp.vendors import services as vendor_services
from riskapp.vendors.models import Vendor
from tests.reminders.conftest import ON, MailServer, Staff

DAY = dt.timedelta(days=1)


def found(vendor: Vendor, kind: DeadlineKind, on: dt.date = ON) -> list[Deadline]:
    return [d for d in services.collect_deadlines(on)
            if d.vendor_id == vendor.id and d.kind is kind]


def test_a_signed_baa_has_its_expiry_owned_by_the_contract_owner(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        staff: Staff) -> None:
    vendor = make_vendor("Acme Mail", stores_phi=True)
    signed_baa(vendor, ON + 60 * DAY, contract_owner_id=staff.owner.id)

    (expiry,) = found(vendor, DeadlineKind.BAA_EXPIRY)

    assert (expiry.due_on, expiry.owner_ids, expiry.vendor_name) == (
        ON + 60 * DAY, (staff.owner.id,), "Acme Mail")
    assert expiry.detail == "no automatic renewal"
    assert found(vendor, DeadlineKind.BAA_NOTICE) == []


def test_an_auto_renewing_baa_has_a_notice_deadline_before_it_renews(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement]) -> None:
    vendor = make_vendor(stores_phi=True)
    signed_baa(vendor, ON + 100 * DAY, baa_auto_renews=True, baa_notice_days=60)

    (notice,) = found(vendor, DeadlineKind.BAA_NOTICE)

    assert notice.due_on == ON + 40 * DAY
    assert notice.detail == "60 days' notice to stop the renewal"
    assert [d.due_on for d in found(vendor, DeadlineKind.BAA_EXPIRY)] == [ON + 100 * DAY]


def test_a_baa_not_signed_yet_has_no_expiry_reminder(
        make_vendor: Callable[..., Vendor], make_agreement: Callable[..., Agreement]) -> None:
    vendor = make_vendor(stores_phi=True)
    make_agreement(vendor, baa_status=BaaStatus.NEGOTIATING.value,
                   baa_expires_on=ON + 30 * DAY)

    assert found(vendor, DeadlineKind.BAA_EXPIRY) == []


def test_a_contract_has_its_renewal_notice_and_end_dates(
        make_vendor: Callable[..., Vendor], make_agreement: Callable[..., Agreement],
        staff: Staff) -> None:
    vendor = make_vendor()
    make_agreement(vendor, contract_starts_on=ON - 300 * DAY, contract_renews_on=ON + 65 * DAY,
                   contract_notice_days=60, contract_ends_on=ON + 700 * DAY,
                   contract_owner_id=staff.owner.id)

    dates = {d.kind: (d.due_on, d.owner_ids) for d in services.collect_deadlines(ON)
             if d.vendor_id == vendor.id}

    assert dates == {
        DeadlineKind.CONTRACT_RENEWAL: (ON + 65 * DAY, (staff.owner.id,)),
        DeadlineKind.CONTRACT_NOTICE: (ON + 5 * DAY, (staff.owner.id,)),
        DeadlineKind.CONTRACT_END: (ON + 700 * DAY, (staff.owner.id,)),
    }


def test_a_contract_that_only_ends_takes_its_notice_from_the_end(
        make_vendor: Callable[..., Vendor], make_agreement: Callable[..., Agreement]) -> None:
    vendor = make_vendor()
    make_agreement(vendor, contract_ends_on=ON + 90 * DAY, contract_notice_days=30)

    assert [d.due_on for d in found(vendor, DeadlineKind.CONTRACT_NOTICE)] == [ON + 60 * DAY]


def test_reassessment_falls_due_after_the_tier_cadence_from_the_last_completed_assessment(
        make_vendor: Callable[..., Vendor], make_assessment: Callable[..., object],
        make_agreement: Callable[..., Agreement], staff: Staff) -> None:
    # A PHI vendor without a BAA rates critical (the profile's gate): reassessed every 6 months.
    vendor = make_vendor(stores_phi=True)
    make_agreement(vendor, contract_owner_id=staff.owner.id)
    make_assessment(vendor, status=Status.COMPLETED,
                    completed_at=dt.datetime(2026, 1, 10, 15, tzinfo=dt.UTC))
    make_assessment(vendor, status=Status.COMPLETED,
                    completed_at=dt.datetime(2026, 9, 1, 15, tzinfo=dt.UTC))
    row = scoring.score_vendor(vendor, actor=None, reason="test")
    db.session.commit()
    assert row.tier == "critical"

    (review,) = found(vendor, DeadlineKind.REVIEW_DUE)

    assert (review.due_on, review.owner_ids) == (dt.date(2027, 3, 1), (staff.owner.id,))
    assert review.detail == "critical tier: every 6 months"


def test_an_unrated_vendor_is_reassessed_on_the_longest_cadence(
        app: Flask, make_vendor: Callable[..., Vendor],
        make_assessment: Callable[..., object]) -> None:
    app.config["REVIEW_MONTHS"] = {"critical": 3, "high": 6, "moderate": 9, "low": 15}
    vendor = make_vendor()
    make_assessment(vendor, status=Status.COMPLETED,
                    completed_at=dt.datetime(2026, 5, 31, 9, tzinfo=dt.UTC))

    assert [d.due_on for d in found(vendor, DeadlineKind.REVIEW_DUE)] == [dt.date(2027, 8, 31)]


def test_a_vendor_never_assessed_has_no_reassessment_date(
        make_vendor: Callable[..., Vendor], make_assessment: Callable[..., object]) -> None:
    vendor = make_vendor()
    make_assessment(vendor, status=Status.SENT)

    assert found(vendor, DeadlineKind.REVIEW_DUE) == []


def test_questionnaires_the_vendor_has_yet_to_answer_are_due_to_whoever_sent_them(
        make_vendor: Callable[..., Vendor], make_assessment: Callable[..., object],
        staff: Staff) -> None:
    vendor = make_vendor()
    waiting = {status: ON + (index + 1) * DAY for index, status in enumerate(
        (Status.SENT, Status.IN_PROGRESS, Status.CLARIFICATION))}
    for status, due in waiting.items():
        make_assessment(vendor, status=status, due_date=due, created_by=staff.officer)
    for status in (Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.COMPLETED,
                   Status.CANCELLED):
        make_assessment(vendor, status=status, due_date=ON + 20 * DAY, created_by=staff.officer)

    due = found(vendor, DeadlineKind.QUESTIONNAIRE_DUE)

    assert [(d.due_on, d.owner_ids) for d in due] == [
        (day, (staff.officer.id,)) for day in sorted(waiting.values())]


def test_a_standing_conditional_approval_is_due_by_its_conditions_date(
        make_vendor: Callable[..., Vendor], make_decision: Callable[..., object],
        staff: Staff) -> None:
    vendor = make_vendor()
    make_decision(vendor, Decision.CONDITIONAL, decided_by=staff.officer,
                  conditions_due_on=ON + 45 * DAY)

    (due,) = found(vendor, DeadlineKind.DECISION_DUE)

    assert (due.due_on, due.owner_ids) == (ON + 45 * DAY, (staff.officer.id,))
    assert due.detail == "Approved while the encryption attestation is outstanding"


def test_a_conditional_approval_superseded_by_a_later_decision_is_not_due(
        make_vendor: Callable[..., Vendor], make_decision: Callable[..., object],
        staff: Staff) -> None:
    vendor = make_vendor()
    make_decision(vendor, Decision.CONDITIONAL, decided_by=staff.officer,
                  conditions_due_on=ON + 45 * DAY)
    make_decision(vendor, Decision.APPROVED_NO_PHI, decided_by=staff.officer,
                  reason="Conditions met")

    assert found(vendor, DeadlineKind.DECISION_DUE) == []


def test_archived_vendors_have_no_deadlines(
        make_vendor: Callable[..., Vendor], signed_baa: Callable[..., Agreement],
        make_assessment: Callable[..., object], make_decision: Callable[..., object],
        staff: Staff, mail_server: MailServer) -> None:
    kept, archived = make_vendor("Kept Vendor"), make_vendor("Archived Vendor")
    for vendor in (kept, archived):
        signed_baa(vendor, ON + 7 * DAY, contract_renews_on=ON + 7 * DAY)
        make_assessment(vendor, status=Status.SENT, due_date=ON + 7 * DAY)
        make_assessment(vendor, status=Status.COMPLETED,
                        completed_at=dt.datetime(2025, 3, 8, tzinfo=dt.UTC))
        make_decision(vendor, Decision.CONDITIONAL, conditions_due_on=ON + 7 * DAY)
    vendor_services.set_archived(archived, True, actor=staff.admin)
    db.session.commit()

    assert {d.vendor_name for d in services.collect_deadlines(ON)} == {"Kept Vendor"}
    services.run_reminders(ON)
    assert mail_server.inbox
    assert not any("Archived Vendor" in mail.body for mail in mail_server.inbox)


def test_deadlines_more_than_a_year_past_are_history(
        make_vendor: Callable[..., Vendor], make_agreement: Callable[..., Agreement]) -> None:
    vendor = make_vendor()
    make_agreement(vendor, contract_ends_on=ON - 365 * DAY, baa_expires_on=ON - 366 * DAY,
                   baa_status="signed", baa_effective_on=ON - 800 * DAY)

    assert [d.kind for d in services.collect_deadlines(ON)] == [DeadlineKind.CONTRACT_END]


def test_a_renewal_date_that_has_passed_is_no_longer_a_deadline(
        make_vendor: Callable[..., Vendor], make_agreement: Callable[..., Agreement]) -> None:
    make_agreement(make_vendor(), contract_renews_on=ON - DAY)

    assert services.collect_deadlines(ON) == []
    assert [d.kind for d in services.collect_deadlines(ON - DAY)] == [
        DeadlineKind.CONTRACT_RENEWAL]


def test_no_vendor_no_deadline_no_mail(staff: Staff, mail_server: MailServer) -> None:
    assert services.collect_deadlines(ON) == []
    report = services.run_reminders(ON)
    assert (report.sent, report.failed, mail_server.inbox) == ([], [], [])
