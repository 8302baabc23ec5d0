"""Recording a vendor's BAA and contract against the database: audited changes that rescore the
vendor, the signed document and its clause checklist, the approval gate, what the BAA does not
cover (questionnaire answers included) and the dates to watch."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements import services
from riskapp.agreements.coverage import Gap
from riskapp.agreements.models import (
    BaaDocument,
    BaaStatus,
    ClauseVerdict,
    Decision,
    VendorDecision,
)
from riskapp.agreements.services import AgreementError, AgreementFields
from riskapp.assessments import evidence
from riskapp.assessments import services as assessments
from riskapp.assessments.models import Assessment, Status
from riskapp.audit.models import AuditEvent
from riskapp.database import db
from riskapp.questionnaires import services as questionnaires
from riskapp.questionnaires.answers import Answer
from riskapp.questionnaires.loader import load_directory
from riskapp.scoring import services as scoring
from riskapp.vendors.models import Vendor
from tests.agreements.documents import COMPLETE_BAA, baa_pdf, scanned_pdf
from tests.questionnaires.conftest import DEFINITIONS

SIGNED_2024 = AgreementFields(
    baa_status=BaaStatus.SIGNED.value, baa_effective_on=date(2024, 1, 1),
    baa_expires_on=date(2024, 12, 31), breach_notice_days=10,
    signed_by_vendor="Vera Vendor, CEO", signed_by_us="Priya Privacy, Privacy Officer",
    covered_services="Exchange Online", covered_regions="United States")


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.OFFICER, name="Olivia Officer")


@pytest.fixture
def vendor(make_vendor: Callable[..., Vendor]) -> Vendor:
    return make_vendor("Acme Mail", stores_phi=True, services="Exchange Online\nTeams")


def in_force_today(**fields: Any) -> AgreementFields:
    """A signed BAA in force on the real today: the score is always taken today."""
    today = services.today()
    return replace(AgreementFields(baa_status=BaaStatus.SIGNED.value,
                                   baa_effective_on=today - timedelta(days=30),
                                   baa_expires_on=today + timedelta(days=335)), **fields)


def save(vendor: Vendor, fields: AgreementFields, actor: User) -> None:
    services.save_agreement(vendor, fields, actor=actor)
    db.session.commit()


def upload(content: bytes, filename: str = "Signed BAA.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=filename,
                       content_type="application/pdf")


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# --- terms and their history -----------------------------------------------------------------

def test_saving_terms_writes_one_audit_event_with_before_and_after(
        vendor: Vendor, officer: User) -> None:
    save(vendor, AgreementFields(baa_status=BaaStatus.REQUESTED.value), officer)
    save(vendor, AgreementFields(baa_status=BaaStatus.NEGOTIATING.value,
                                 breach_notice_days=30), officer)

    first, second = events("agreement.updated")
    assert first.summary == "Recorded the BAA and contract of Acme Mail: baa_status"
    assert second.summary == ("Changed the BAA and contract of Acme Mail: baa_status, "
                              "breach_notice_days")
    assert second.changes == {
        "baa_status": {"before": "requested", "after": "negotiating"},
        "breach_notice_days": {"before": None, "after": 30}}
    assert (second.actor_id, second.object_type, second.object_id) == (
        officer.id, "vendor", str(vendor.id))


def test_history_lists_the_changes_newest_first(vendor: Vendor, officer: User) -> None:
    save(vendor, AgreementFields(baa_status=BaaStatus.REQUESTED.value), officer)
    save(vendor, in_force_today(), officer)
    services.decide(vendor, Decision.APPROVED_PHI, "BAA signed, controls reviewed",
                    actor=officer)
    db.session.commit()

    assert [event.action for event in services.history(vendor)] == [
        "vendor.decided", "agreement.updated", "agreement.updated"]  # the rescoring is not


def test_saving_the_same_terms_again_records_nothing(vendor: Vendor, officer: User) -> None:
    save(vendor, SIGNED_2024, officer)
    save(vendor, SIGNED_2024, officer)

    assert len(events("agreement.updated")) == 1


@pytest.mark.parametrize(("fields", "field", "message"), [
    (AgreementFields(baa_status=BaaStatus.SIGNED.value, baa_expires_on=date(2025, 1, 1)),
     "baa_effective_on", "Give the date the signed BAA took effect."),
    (AgreementFields(baa_effective_on=date(2025, 1, 1), baa_expires_on=date(2024, 1, 1)),
     "baa_expires_on", "The BAA must expire after it takes effect."),
    (AgreementFields(baa_auto_renews=True),
     "baa_expires_on", "An auto-renewing BAA needs the date its first term ends."),
    (AgreementFields(baa_status=BaaStatus.NOT_REQUIRED.value),
     "baa_status", "This vendor handles PHI, so a BAA is required."),
    (AgreementFields(contract_starts_on=date(2024, 6, 1), contract_ends_on=date(2024, 5, 1)),
     "contract_ends_on", "The contract must end after it starts."),
    (AgreementFields(contract_starts_on=date(2024, 6, 1), contract_renews_on=date(2024, 6, 1)),
     "contract_renews_on", "The contract must renew after it starts."),
    (AgreementFields(contract_owner_id=999_999),
     "contract_owner_id", "Choose an active user as the contract owner."),
], ids=["signed-without-start", "expires-before-start", "renews-without-end",
        "phi-vendor-not-required", "contract-ends-before-start", "renews-before-start",
        "unknown-owner"])
def test_contradictory_terms_are_refused_with_the_field_named(
        vendor: Vendor, officer: User, fields: AgreementFields, field: str,
        message: str) -> None:
    with pytest.raises(AgreementError) as refused:
        services.save_agreement(vendor, fields, actor=officer)

    assert refused.value.field == field
    assert str(refused.value).startswith(message)
    assert services.agreement_of(vendor) is None
    assert events("agreement.updated") == []


def test_an_inactive_user_cannot_own_the_contract(
        vendor: Vendor, officer: User, make_user: Callable[..., User]) -> None:
    departed = make_user(Role.OFFICER, is_active=False)

    with pytest.raises(AgreementError, match="active user"):
        services.save_agreement(vendor, AgreementFields(contract_owner_id=departed.id),
                                actor=officer)
    save(vendor, AgreementFields(contract_owner_id=officer.id), officer)
    assert services.agreement_of(vendor).contract_owner == officer  # type: ignore[union-attr]


def test_a_phi_vendor_may_be_recorded_as_needing_no_baa_when_the_officer_says_so(
        vendor: Vendor, officer: User) -> None:
    save(vendor, AgreementFields(baa_required=False, baa_status=BaaStatus.NOT_REQUIRED.value,
                                 notes="Conduit only: transmits, never stores."), officer)

    state = services.state_of(vendor)
    assert (state.required, state.status, state.satisfied) == (
        False, BaaStatus.NOT_REQUIRED, True)


# --- the score -------------------------------------------------------------------------------

def test_a_phi_vendor_without_a_baa_is_rated_critical_with_a_baa_gate(vendor: Vendor) -> None:
    row = scoring.score_vendor(vendor, actor=None, reason="test")

    assert row.tier == "critical"
    assert [(gate.source, gate.reason) for gate in row.risk.gates] == [
        ("baa", "the vendor handles PHI and its BAA is missing")]


def test_a_baa_still_in_negotiation_keeps_a_phi_vendor_critical(
        vendor: Vendor, officer: User) -> None:
    save(vendor, AgreementFields(baa_status=BaaStatus.NEGOTIATING.value), officer)

    row = scoring.latest_score(vendor)
    assert row is not None
    assert row.tier == "critical"
    assert "its BAA is pending" in row.risk.gates[0].reason


def test_signing_the_baa_rescores_the_vendor_out_of_critical(
        vendor: Vendor, officer: User) -> None:
    assert scoring.score_vendor(vendor, actor=None, reason="before").tier == "critical"

    save(vendor, in_force_today(), officer)

    row = scoring.latest_score(vendor)
    assert row is not None
    assert row.reason == "BAA or contract changed"
    assert row.computed_by_id == officer.id
    assert row.tier != "critical"
    assert row.risk.gates == ()


def test_a_signed_baa_whose_expiry_passes_is_rescored_critical(
        vendor: Vendor, officer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    last_day = services.today()
    save(vendor, in_force_today(baa_expires_on=last_day), officer)
    assert scoring.latest_score(vendor).tier != "critical"  # type: ignore[union-attr]

    monkeypatch.setattr(services, "today", lambda: last_day + timedelta(days=1))
    rescored = scoring.rescore_lapsed_baas(on=last_day + timedelta(days=1))
    db.session.commit()

    assert [(row.vendor_id, row.tier) for row in rescored] == [(vendor.id, "critical")]
    assert rescored[0].reason == f"BAA expired on {last_day.isoformat()}"
    assert rescored[0].risk.gates[0].reason == "the vendor handles PHI and its BAA is expired"


def test_a_vendor_rated_since_its_baa_expired_is_not_rescored_again(
        vendor: Vendor, officer: User) -> None:
    yesterday = services.today() - timedelta(days=1)
    save(vendor, in_force_today(baa_effective_on=yesterday - timedelta(days=365),
                                baa_expires_on=yesterday), officer)
    assert scoring.latest_score(vendor).tier == "critical"  # type: ignore[union-attr]

    assert scoring.rescore_lapsed_baas(on=services.today()) == []


def test_a_renewing_baa_is_not_rescored_as_lapsed(vendor: Vendor, officer: User) -> None:
    save(vendor, in_force_today(baa_expires_on=services.today(), baa_auto_renews=True),
         officer)

    assert scoring.rescore_lapsed_baas(on=services.today() + timedelta(days=1)) == []


# --- the signed document ---------------------------------------------------------------------

def test_a_signed_baa_is_kept_with_its_sha256(vendor: Vendor, officer: User) -> None:
    content = baa_pdf(COMPLETE_BAA)

    document = services.store_document(vendor, upload(content), actor=officer)
    db.session.commit()

    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.stored_path(document.sha256).read_bytes() == content
    assert (document.filename, document.size, document.uploaded_by) == (
        "Signed BAA.pdf", len(content), officer)
    assert document.pages > 1
    assert services.agreement_of(vendor).current_document == document  # type: ignore[union-attr]
    (event,) = events("agreement.document_uploaded")
    assert event.changes["sha256"] == document.sha256
    assert event.summary == ("Uploaded the signed BAA Signed BAA.pdf of Acme Mail "
                             "(10 of 10 clauses found in its text)")


def test_a_text_pdf_fills_the_clause_checklist_with_the_sentences_found(
        vendor: Vendor, officer: User) -> None:
    document = services.store_document(vendor, upload(baa_pdf(COMPLETE_BAA)), actor=officer)
    db.session.commit()

    rows = services.clause_rows(document)
    assert [row.clause.key for row in rows] == [
        "permitted_uses", "safeguards", "breach_reporting", "subcontractors",
        "access_amendment", "privacy_rule_obligations", "books_records", "return_destruction",
        "termination", "audit_access"]
    assert all(row.check.standing is ClauseVerdict.PRESENT for row in rows)
    sentences = {row.clause.key: row.check.matched_sentence for row in rows}
    assert "any Security Incident and any Breach of Unsecured PHI" in sentences[
        "breach_reporting"]
    assert "may audit and inspect" in sentences["audit_access"]
    assert document.text_problem == ""


def test_a_clause_not_in_the_text_is_suggested_absent(vendor: Vendor, officer: User) -> None:
    without_audit = [(heading, paragraphs) for heading, paragraphs in COMPLETE_BAA
                     if heading != "9. Audit"]
    services.store_document(vendor, upload(baa_pdf(without_audit)), actor=officer)
    db.session.commit()

    view = services.overview(vendor, on=date(2024, 6, 1))
    assert [row.clause.key for row in view.clauses_missing] == ["audit_access"]
    assert view.clauses_missing[0].check.matched_sentence is None


def test_a_scanned_pdf_is_kept_and_says_plainly_that_it_has_no_text(
        vendor: Vendor, officer: User) -> None:
    document = services.store_document(vendor, upload(scanned_pdf(), "scan.pdf"),
                                       actor=officer)
    db.session.commit()

    assert document.text_problem == ("This PDF has no text layer (it looks scanned): the "
                                      "clauses must be checked by reading it.")
    assert document.clauses == []
    assert evidence.stored_path(document.sha256).exists()
    (event,) = events("agreement.document_uploaded")
    assert event.summary.endswith(f"({document.text_problem})")


@pytest.mark.parametrize(("content", "message"), [
    (b"PK\x03\x04 a Word document", "contract.docx is not a PDF, judging by its content. "
                                    "Upload the signed BAA as a PDF."),
    (b"Signed, sealed, delivered", "contract.docx is not a PDF, judging by its content. "
                                   "Upload the signed BAA as a PDF."),
    (b"", "contract.docx is empty."),
], ids=["word", "text", "empty"])
def test_a_file_that_is_not_a_pdf_is_refused_and_not_kept(
        vendor: Vendor, officer: User, content: bytes, message: str) -> None:
    with pytest.raises(AgreementError) as refused:
        services.store_document(vendor, upload(content, "contract.docx"), actor=officer)

    assert (str(refused.value), refused.value.field) == (message, "document")
    assert count(BaaDocument) == 0
    assert events("agreement.document_uploaded") == []


def test_the_uploaded_name_loses_its_folders(vendor: Vendor, officer: User) -> None:
    document = services.store_document(vendor, upload(baa_pdf(COMPLETE_BAA[:2]),
                                                      "../../etc/Acme BAA.PDF"), actor=officer)
    assert document.filename == "Acme BAA.pdf"


def test_a_document_is_found_only_through_its_own_vendor(
        vendor: Vendor, officer: User, make_vendor: Callable[..., Vendor]) -> None:
    document = services.store_document(vendor, upload(baa_pdf(COMPLETE_BAA[:2])),
                                       actor=officer)
    db.session.commit()

    assert services.document_of(vendor, document.id) == document
    assert services.document_of(make_vendor("Other Vendor"), document.id) is None


def test_the_officers_clause_verdicts_are_kept_and_audited(
        vendor: Vendor, officer: User) -> None:
    document = services.store_document(vendor, upload(baa_pdf(COMPLETE_BAA)), actor=officer)
    verdicts = {"audit_access": (ClauseVerdict.ABSENT, "Only an annual questionnaire"),
                "safeguards": (ClauseVerdict.PRESENT, "")}

    changed = services.confirm_clauses(vendor, document, verdicts, actor=officer)
    db.session.commit()

    assert changed == 2
    checks = {check.clause: check for check in document.clauses}
    audit_right = checks["audit_access"]
    assert (audit_right.verdict, audit_right.note, audit_right.confirmed_by) == (
        "absent", "Only an annual questionnaire", officer)
    assert audit_right.standing is ClauseVerdict.ABSENT  # the officer's word over the text's
    assert checks["termination"].verdict is None
    (event,) = events("agreement.clauses_confirmed")
    assert event.changes == {"audit_access": {"before": None, "after": "absent"},
                             "safeguards": {"before": None, "after": "present"}}
    assert event.summary == "Confirmed 2 clause(s) of the BAA Signed BAA.pdf of Acme Mail"


def test_confirming_the_same_verdicts_again_changes_nothing(
        vendor: Vendor, officer: User) -> None:
    document = services.store_document(vendor, upload(baa_pdf(COMPLETE_BAA)), actor=officer)
    verdicts = {"audit_access": (ClauseVerdict.ABSENT, "")}
    services.confirm_clauses(vendor, document, verdicts, actor=officer)

    assert services.confirm_clauses(vendor, document, verdicts, actor=officer) == 0
    assert len(events("agreement.clauses_confirmed")) == 1


# --- decisions -------------------------------------------------------------------------------

def test_approval_for_phi_is_refused_without_a_signed_baa(vendor: Vendor, officer: User) -> None:
    with pytest.raises(AgreementError) as refused:
        services.decide(vendor, Decision.APPROVED_PHI, "Looks fine", actor=officer,
                        on=date(2024, 6, 1))

    assert refused.value.field == "decision"
    assert str(refused.value) == ("A vendor can be approved for PHI only with a signed BAA in "
                                  "force; this one's BAA is required but missing.")
    assert count(VendorDecision) == 0


def test_approval_for_phi_is_allowed_while_the_signed_baa_is_in_force(
        vendor: Vendor, officer: User) -> None:
    save(vendor, SIGNED_2024, officer)

    row = services.decide(vendor, Decision.APPROVED_PHI, "  BAA signed, SOC 2 reviewed ",
                          actor=officer, on=date(2024, 6, 1))
    db.session.commit()

    assert services.latest_decision(vendor) == row
    assert (row.decision_enum, row.reason, row.decided_by) == (
        Decision.APPROVED_PHI, "BAA signed, SOC 2 reviewed", officer)
    (event,) = events("vendor.decided")
    assert event.summary == "Approved for PHI: Acme Mail"
    assert event.changes["reason"] == "BAA signed, SOC 2 reviewed"


def test_approval_for_phi_is_refused_once_the_baa_has_expired(
        vendor: Vendor, officer: User) -> None:
    save(vendor, SIGNED_2024, officer)

    with pytest.raises(AgreementError, match=r"expired \(signed, but it expired on 2024-12-31\)"):
        services.decide(vendor, Decision.APPROVED_PHI, "Renewal pending", actor=officer,
                        on=date(2025, 1, 1))


def test_a_vendor_may_be_approved_without_phi_while_its_baa_is_missing(
        vendor: Vendor, officer: User) -> None:
    row = services.decide(vendor, Decision.APPROVED_NO_PHI, "Marketing site only",
                          actor=officer, on=date(2024, 6, 1))
    assert row.decision_enum is Decision.APPROVED_NO_PHI


def test_a_conditional_approval_needs_the_date_its_conditions_are_due(
        vendor: Vendor, officer: User) -> None:
    with pytest.raises(AgreementError) as refused:
        services.decide(vendor, Decision.CONDITIONAL, "MFA to be enforced", actor=officer)
    assert (str(refused.value), refused.value.field) == (
        "Give the date the conditions must be met by.", "conditions_due_on")

    row = services.decide(vendor, Decision.CONDITIONAL, "MFA to be enforced", actor=officer,
                          conditions_due_on=date(2024, 9, 30))
    assert row.conditions_due_on == date(2024, 9, 30)


def test_only_a_conditional_approval_keeps_a_due_date(vendor: Vendor, officer: User) -> None:
    row = services.decide(vendor, Decision.REJECTED, "No BAA offered", actor=officer,
                          conditions_due_on=date(2024, 9, 30))
    assert row.conditions_due_on is None


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_decision_needs_a_reason(vendor: Vendor, officer: User, reason: str) -> None:
    with pytest.raises(AgreementError) as refused:
        services.decide(vendor, Decision.REJECTED, reason, actor=officer)

    assert (str(refused.value), refused.value.field) == (
        "Say why: the reason is kept with the decision.", "reason")
    assert count(VendorDecision) == 0


def test_the_newest_decision_stands(vendor: Vendor, officer: User) -> None:
    services.decide(vendor, Decision.APPROVED_NO_PHI, "Pilot", actor=officer)
    services.decide(vendor, Decision.REJECTED, "Pilot failed", actor=officer)
    db.session.commit()

    assert services.overview(vendor).standing.label == "Rejected"


def test_an_approval_for_phi_needs_attention_once_the_baa_lapses(
        vendor: Vendor, officer: User) -> None:
    save(vendor, SIGNED_2024, officer)
    services.decide(vendor, Decision.APPROVED_PHI, "BAA signed", actor=officer,
                    on=date(2024, 6, 1))
    db.session.commit()

    before = services.overview(vendor, on=date(2024, 12, 31)).standing
    after = services.overview(vendor, on=date(2025, 1, 1)).standing

    assert (before.label, before.needs_attention) == ("Approved for PHI", False)
    assert (after.label, after.needs_attention) == ("Needs attention", True)
    assert after.why == ("approved for PHI, but the BAA is now expired "
                         "(signed, but it expired on 2024-12-31)")


# --- coverage --------------------------------------------------------------------------------

def test_services_and_locations_in_use_but_not_covered_are_gaps(
        vendor: Vendor, officer: User) -> None:
    save(vendor, replace(SIGNED_2024, data_locations="us-east-1\neu-west-1"), officer)

    assert services.overview(vendor, on=date(2024, 6, 1)).gaps == [
        Gap("service", "Teams", "inventory"), Gap("location", "eu-west-1", "inventory")]


def test_coverage_is_not_checked_while_the_baa_itself_is_missing(
        vendor: Vendor, officer: User) -> None:
    save(vendor, AgreementFields(baa_status=BaaStatus.REQUESTED.value,
                                 data_locations="India"), officer)

    assert services.overview(vendor, on=date(2024, 6, 1)).gaps == []


@pytest.fixture
def answered(app: Flask, officer: User) -> Callable[..., Assessment]:
    """An assessment of the example questionnaire, answered and submitted by the vendor."""
    questionnaire = load_directory(DEFINITIONS).questionnaires["example-vendor"]
    questionnaires.publish(questionnaire, actor=None)
    published = questionnaires.published("example-vendor", "1.0.0")
    assert published is not None

    def answer(vendor: Vendor, countries: list[str], subprocessor_countries: list[str],
               *, complete: bool = True) -> Assessment:
        assessment, _token = assessments.start_assessment(
            vendor, [published], due_date=dt.date.today() + dt.timedelta(days=14),
            respondent_name="Vera Vendor", respondent_email="vera@vendor.example",
            actor=officer, link_days=30)
        rows = [{"name": f"Sub {code}", "country": [code], "baa": "yes"}
                for code in subprocessor_countries]
        given = {"baa_offered": Answer("yes"), "phi_volume": Answer("none"),
                 "mfa": Answer("yes"), "mfa_methods": Answer(["webauthn"]),
                 "session_timeout": Answer(15), "data_countries": Answer(countries),
                 "subprocessors": Answer(rows)}
        if rows:
            given["soc2_report"] = Answer([{"name": "soc2.pdf"}])
        assessments.save_answers(assessment, assessment.questionnaires[0], given, {},
                                 by="Vera")
        assessments.submit(assessment, name="Vera Vendor", title="CISO", by="Vera")
        if complete:
            assessments.complete(assessment, actor=officer)
        db.session.commit()
        return assessment

    return answer


def test_countries_from_the_questionnaire_answers_are_checked_too(
        vendor: Vendor, officer: User, answered: Callable[..., Assessment]) -> None:
    save(vendor, replace(SIGNED_2024, covered_services="Exchange Online, Teams"), officer)
    assessment = answered(vendor, ["US", "DE"], ["US", "IN"])

    _services, locations = services.used_by(vendor, services.agreement_of(vendor))
    source = f"assessment #{assessment.id}"
    assert [(used.item, used.source) for used in locations] == [
        ("United States (US)", source), ("Germany (DE)", source), ("India (IN)", source)]
    assert services.overview(vendor, on=date(2024, 6, 1)).gaps == [
        Gap("location", "Germany (DE)", source), Gap("location", "India (IN)", source)]


def test_submitted_answers_count_before_the_review_is_done(
        vendor: Vendor, officer: User, answered: Callable[..., Assessment]) -> None:
    save(vendor, replace(SIGNED_2024, covered_services="Exchange Online, Teams",
                                covered_regions="EU\nUSA"), officer)
    answered(vendor, ["US"], [], complete=False)
    assert services.overview(vendor, on=date(2024, 6, 1)).gaps == []

    answered(vendor, ["US", "BR"], [], complete=False)
    (gap,) = services.overview(vendor, on=date(2024, 6, 1)).gaps
    assert gap.item == "Brazil (BR)"


# --- dates -----------------------------------------------------------------------------------

def test_the_key_dates_are_listed_soonest_first(vendor: Vendor, officer: User) -> None:
    save(vendor, AgreementFields(
        baa_status=BaaStatus.SIGNED.value, baa_effective_on=date(2024, 3, 1),
        baa_expires_on=date(2025, 3, 1), baa_auto_renews=True, baa_notice_days=60,
        contract_starts_on=date(2024, 3, 1), contract_renews_on=date(2025, 9, 1),
        contract_ends_on=date(2027, 8, 31), contract_notice_days=30), officer)
    state = services.state_of(vendor, on=date(2025, 6, 1))

    dates = services.key_dates(vendor, services.agreement_of(vendor), state)

    assert [(item.label, item.on) for item in dates] == [
        ("Last day to give notice on the contract", date(2025, 8, 2)),
        ("Contract renews", date(2025, 9, 1)),
        ("Last day to give notice on the BAA", date(2025, 12, 31)),
        ("BAA term ends", date(2026, 3, 1)),
        ("Contract ends", date(2027, 8, 31))]
    assert dates[0].days_left(date(2025, 6, 1)) == 62


def test_a_baa_that_does_not_renew_shows_its_expiry_without_a_notice_date(
        vendor: Vendor, officer: User) -> None:
    save(vendor, replace(SIGNED_2024, baa_notice_days=30), officer)

    dates = services.overview(vendor, on=date(2024, 6, 1)).dates

    assert [(item.label, item.on) for item in dates] == [("BAA expires", date(2024, 12, 31))]


def completed_on(vendor: Vendor, day: date) -> Assessment:
    assessment = Assessment(
        vendor=vendor, status=Status.COMPLETED.value, due_date=day,
        respondent_name="Vera Vendor", respondent_email="vera@vendor.example", score=20.0,
        completed_at=dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC))
    db.session.add(assessment)
    db.session.commit()
    return assessment


def test_the_reassessment_is_due_by_the_tier_cadence(vendor: Vendor) -> None:
    completed_on(vendor, date(2024, 1, 31))
    assert scoring.score_vendor(vendor, actor=None, reason="test").tier == "critical"

    assert services.review_due_on(vendor) == date(2024, 7, 31)  # critical: six months


def test_the_reassessment_cadence_is_configurable(app: Flask, vendor: Vendor) -> None:
    completed_on(vendor, date(2024, 1, 31))
    scoring.score_vendor(vendor, actor=None, reason="test")
    app.config["REVIEW_MONTHS"] = {"critical": 3, "high": 6, "moderate": 12, "low": 12}

    assert services.review_due_on(vendor) == date(2024, 4, 30)
    assert ("Reassessment due", date(2024, 4, 30)) in [
        (item.label, item.on) for item in services.overview(vendor, on=date(2024, 2, 1)).dates]


def test_the_newest_completed_assessment_sets_the_reassessment(vendor: Vendor) -> None:
    completed_on(vendor, date(2023, 1, 31))
    completed_on(vendor, date(2024, 1, 31))
    scoring.score_vendor(vendor, actor=None, reason="test")

    assert services.review_due_on(vendor) == date(2024, 7, 31)


def test_a_vendor_never_assessed_has_no_reassessment_date(vendor: Vendor) -> None:
    scoring.score_vendor(vendor, actor=None, reason="test")
    assert services.review_due_on(vendor) is None
