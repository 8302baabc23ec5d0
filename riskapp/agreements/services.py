"""Record a vendor's BAA and contract, its signed document and clause checklist, and our
decisions about it; every change is audited with its before and after.

Services flush; the caller commits. A change that can move the vendor's score sends
:data:`agreement_changed`, on which scoring rescores the vendor.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from blinker import Namespace
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from riskapp.accounts.models import User
from riskapp.agreements import clauses as clause_check
from riskapp.agreements.coverage import Gap, Used, country_name, coverage_gaps, entries
from riskapp.agreements.models import (
    Agreement,
    BaaDocument,
    BaaStatus,
    ClauseCheck,
    ClauseVerdict,
    Decision,
    VendorDecision,
)
from riskapp.agreements.status import (
    BaaState,
    BreachWindow,
    DecisionStanding,
    baa_state,
    breach_window,
    decision_standing,
    next_review_on,
    notice_deadline,
    phi_approval_refusal,
)
from riskapp.assessments import evidence
from riskapp.assessments import services as assessments
from riskapp.assessments.models import Assessment, Status
from riskapp.audit import services as audit
from riskapp.audit.models import AuditEvent
from riskapp.database import db, utcnow
from riskapp.questionnaires.question_types import Countries, Group
from riskapp.scoring.models import VendorScore
from riskapp.vendors.models import Vendor
from riskapp.vendors.services import vendor_target

signals = Namespace()
# Sent with the vendor whose BAA or contract changed (sender) and ``actor``.
agreement_changed = signals.signal("agreement-changed")

PDF_MAGIC = b"%PDF-"
HISTORY_ACTIONS = ("agreement.updated", "agreement.document_uploaded",
                   "agreement.clauses_confirmed", "vendor.decided")


class AgreementError(ValueError):
    """A change refused; ``field`` names the form field at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def today() -> date:
    return utcnow().date()


# --- the agreement ---------------------------------------------------------------------------


def agreement_of(vendor: Vendor) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.vendor_id == vendor.id)
                             .options(selectinload(Agreement.documents)))


def state_of(vendor: Vendor, agreement: Agreement | None = None, *,
             on: date | None = None) -> BaaState:
    """The vendor's BAA as it stands on ``on`` (today by default)."""
    if agreement is None:
        agreement = agreement_of(vendor)
    return baa_state(agreement, handles_phi=vendor.handles_phi, today=on or today())


@dataclass(frozen=True)
class AgreementFields:
    """Everything an officer edits on the BAA and contract form."""

    baa_required: bool | None = None
    baa_status: str = BaaStatus.MISSING.value
    baa_effective_on: date | None = None
    baa_expires_on: date | None = None
    baa_auto_renews: bool = False
    baa_notice_days: int | None = None
    breach_notice_days: int | None = None
    signed_by_vendor: str = ""
    signed_by_us: str = ""
    covered_services: str = ""
    covered_regions: str = ""
    data_locations: str = ""
    contract_starts_on: date | None = None
    contract_renews_on: date | None = None
    contract_ends_on: date | None = None
    contract_notice_days: int | None = None
    contract_owner_id: int | None = None
    notes: str = ""

    @classmethod
    def of(cls, agreement: Agreement | None) -> AgreementFields:
        if agreement is None:
            return cls()
        return cls(**{f.name: getattr(agreement, f.name) for f in dataclasses.fields(cls)})

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def check_fields(fields: AgreementFields, vendor: Vendor) -> None:
    """:raises AgreementError: for terms that contradict each other."""
    status = BaaStatus(fields.baa_status)
    required = vendor.handles_phi if fields.baa_required is None else fields.baa_required
    if status is BaaStatus.NOT_REQUIRED and required:
        raise AgreementError("This vendor handles PHI, so a BAA is required. Set \"BAA "
                             "required\" to No (and say why in the notes) to record that it "
                             "is not.", "baa_status")
    if (fields.baa_effective_on and fields.baa_expires_on
            and fields.baa_expires_on <= fields.baa_effective_on):
        raise AgreementError("The BAA must expire after it takes effect.", "baa_expires_on")
    if status is BaaStatus.SIGNED and fields.baa_effective_on is None:
        raise AgreementError("Give the date the signed BAA took effect.", "baa_effective_on")
    if fields.baa_auto_renews and fields.baa_expires_on is None:
        raise AgreementError("An auto-renewing BAA needs the date its first term ends.",
                             "baa_expires_on")
    starts, ends = fields.contract_starts_on, fields.contract_ends_on
    if starts and ends and ends <= starts:
        raise AgreementError("The contract must end after it starts.", "contract_ends_on")
    renews = fields.contract_renews_on
    if starts and renews and renews <= starts:
        raise AgreementError("The contract must renew after it starts.", "contract_renews_on")
    if fields.contract_owner_id is not None:
        owner = db.session.get(User, fields.contract_owner_id)
        if owner is None or not owner.is_active:
            raise AgreementError("Choose an active user as the contract owner.",
                                 "contract_owner_id")


def save_agreement(vendor: Vendor, fields: AgreementFields, *, actor: User) -> Agreement:
    """Record the vendor's BAA and contract terms; audit what changed.

    :raises AgreementError: when the terms contradict each other.
    """
    check_fields(fields, vendor)
    agreement = agreement_of(vendor)
    created = agreement is None
    if agreement is None:
        agreement = Agreement(vendor_id=vendor.id)
        db.session.add(agreement)
    before = AgreementFields.of(None if created else agreement).as_dict()
    for name, value in fields.as_dict().items():
        setattr(agreement, name, value)
    changes = audit.diff(before, fields.as_dict())
    if not changes and not created:
        return agreement
    agreement.updated_at = utcnow()
    db.session.flush()
    audit.record("agreement.updated", actor=actor, target=vendor_target(vendor),
                 summary=f"{'Recorded' if created else 'Changed'} the BAA and contract of "
                         f"{vendor.name}: {', '.join(sorted(changes)) or 'no terms yet'}",
                 changes=changes)
    agreement_changed.send(vendor, actor=actor)
    return agreement


# --- the signed document and its clauses -----------------------------------------------------


def store_document(vendor: Vendor, upload: FileStorage, *, actor: User) -> BaaDocument:
    """Keep an uploaded signed BAA and pre-fill its clause checklist from its text.

    :raises AgreementError: when the file is not a PDF or is too large.
    """
    try:
        content = evidence.read_upload(upload)
    except evidence.EvidenceError as error:
        raise AgreementError(str(error), "document") from error
    if not content.startswith(PDF_MAGIC):
        raise AgreementError(f"{upload.filename or 'The file'} is not a PDF, judging by its "
                             "content. Upload the signed BAA as a PDF.", "document")
    agreement = agreement_of(vendor)
    if agreement is None:
        agreement = Agreement(vendor_id=vendor.id)
        db.session.add(agreement)
        db.session.flush()
    digest = evidence.keep(content)
    extraction = clause_check.extract_text(content)
    document = BaaDocument(
        agreement_id=agreement.id, filename=evidence.safe_name(upload.filename or "baa", "pdf"),
        size=len(content), sha256=digest, pages=extraction.pages,
        text_problem=extraction.problem or "", uploaded_by_id=actor.id)
    matches = clause_check.check_clauses(extraction.text) if extraction.has_text else ()
    document.clauses = [ClauseCheck(clause=m.clause.key, matched_sentence=m.sentence)
                        for m in matches]
    db.session.add(document)
    db.session.flush()
    db.session.refresh(agreement, ["documents"])
    found = sum(1 for m in matches if m.sentence)
    audit.record("agreement.document_uploaded", actor=actor, target=vendor_target(vendor),
                 summary=f"Uploaded the signed BAA {document.filename} of {vendor.name} "
                         + (f"({found} of {len(matches)} clauses found in its text)"
                            if matches else f"({extraction.problem})"),
                 changes={"filename": document.filename, "sha256": digest,
                          "size": len(content)})
    return document


def document_of(vendor: Vendor, document_id: int) -> BaaDocument | None:
    """A signed BAA of this vendor (another vendor's document id gives ``None``)."""
    return db.session.scalar(
        select(BaaDocument).join(Agreement).where(BaaDocument.id == document_id,
                                                  Agreement.vendor_id == vendor.id))


def confirm_clauses(vendor: Vendor, document: BaaDocument,
                    verdicts: dict[str, tuple[ClauseVerdict, str]], *, actor: User) -> int:
    """Record the officer's verdict (and note) on each clause; return how many changed."""
    changes: dict[str, Any] = {}
    for check in document.clauses:
        if check.clause not in verdicts:
            continue
        verdict, note = verdicts[check.clause]
        if check.verdict == verdict.value and check.note == note:
            continue
        changes[check.clause] = {"before": check.verdict, "after": verdict.value}
        check.verdict, check.note = verdict.value, note
        check.confirmed_by_id, check.confirmed_at = actor.id, utcnow()
    if changes:
        db.session.flush()
        audit.record("agreement.clauses_confirmed", actor=actor, target=vendor_target(vendor),
                     summary=f"Confirmed {len(changes)} clause(s) of the BAA "
                             f"{document.filename} of {vendor.name}",
                     changes=changes)
    return len(changes)


@dataclass(frozen=True)
class ClauseRow:
    clause: clause_check.Clause
    check: ClauseCheck


def clause_rows(document: BaaDocument | None) -> list[ClauseRow]:
    if document is None:
        return []
    by_key = {check.clause: check for check in document.clauses}
    return [ClauseRow(c, by_key[c.key]) for c in clause_check.CLAUSES if c.key in by_key]


# --- decisions -------------------------------------------------------------------------------


def latest_decision(vendor: Vendor) -> VendorDecision | None:
    return db.session.scalar(select(VendorDecision).where(VendorDecision.vendor_id == vendor.id)
                             .order_by(VendorDecision.decided_at.desc(),
                                       VendorDecision.id.desc()).limit(1))


def decide(vendor: Vendor, decision: Decision, reason: str, *, actor: User,
           conditions_due_on: date | None = None, on: date | None = None) -> VendorDecision:
    """Record a decision about the vendor.

    :raises AgreementError: "approved for PHI" while the BAA is not signed and in force; a
        conditional approval without a due date; a decision without a reason.
    """
    reason = reason.strip()
    if not reason:
        raise AgreementError("Say why: the reason is kept with the decision.", "reason")
    if decision is Decision.APPROVED_PHI:
        refusal = phi_approval_refusal(state_of(vendor, on=on))
        if refusal:
            raise AgreementError(refusal, "decision")
    if decision is Decision.CONDITIONAL:
        if conditions_due_on is None:
            raise AgreementError("Give the date the conditions must be met by.",
                                 "conditions_due_on")
    else:
        conditions_due_on = None
    row = VendorDecision(vendor_id=vendor.id, decision=decision.value, reason=reason,
                         conditions_due_on=conditions_due_on, decided_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("vendor.decided", actor=actor, target=vendor_target(vendor),
                 summary=f"{decision.label}: {vendor.name}", changes={
                     "decision": decision.value, "reason": reason,
                     "conditions_due_on": conditions_due_on})
    return row


# --- what is used, and whether the BAA covers it ---------------------------------------------


def latest_answered_assessment(vendor: Vendor) -> Assessment | None:
    """The newest completed assessment, or the newest submitted one (its answers are the
    vendor's word even before review)."""
    answered = (Status.COMPLETED.value, Status.SUBMITTED.value, Status.IN_REVIEW.value)
    return db.session.scalar(
        select(Assessment).where(Assessment.vendor_id == vendor.id,
                                 Assessment.status.in_(answered))
        .order_by(Assessment.completed_at.desc().nulls_last(),
                  Assessment.submitted_at.desc().nulls_last(), Assessment.id.desc()).limit(1))


def answered_countries(assessment: Assessment) -> list[str]:
    """Every country the assessment's answers say data is kept in (groups' rows included)."""
    codes: list[str] = []
    saved = assessments.answers_by_questionnaire(assessment)
    for entry in assessment.questionnaires:
        given = saved.get(entry.questionnaire_version_id, {})
        for _section, question in assessments.definition_of(entry).questions():
            answer = given.get(question.id)
            if answer is None or answer.not_applicable:
                continue
            if isinstance(question, Countries):
                codes += _codes(answer.value)
            elif isinstance(question, Group) and isinstance(answer.value, list):
                for sub in (q for q in question.questions if isinstance(q, Countries)):
                    for row in answer.value:
                        if isinstance(row, dict):
                            codes += _codes(row.get(sub.id))
    return list(dict.fromkeys(codes))


def _codes(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [code for code in value if isinstance(code, str)] if isinstance(value, list) else []


def used_by(vendor: Vendor, agreement: Agreement | None) -> tuple[list[Used], list[Used]]:
    """The services and data locations in use: the inventory's, then the answers'."""
    services = [Used(item, "inventory") for item in entries(vendor.services)]
    locations = [Used(item, "inventory") for item in
                 entries(agreement.data_locations if agreement else "")]
    assessment = latest_answered_assessment(vendor)
    if assessment is not None:
        locations += [Used(country_name(code), f"assessment #{assessment.id}")
                      for code in answered_countries(assessment)]
    return services, locations


def gaps_of(vendor: Vendor, agreement: Agreement | None, state: BaaState) -> list[Gap]:
    """What is used and not covered, for a vendor whose BAA is required and signed (a
    missing BAA is already the bigger gap, and says so on its own)."""
    if agreement is None or not state.required or state.status is not BaaStatus.SIGNED:
        return []
    services, locations = used_by(vendor, agreement)
    return coverage_gaps(agreement.covered_services, agreement.covered_regions, services,
                         locations)


# --- everything the vendor page and reports show ---------------------------------------------


@dataclass(frozen=True)
class KeyDate:
    label: str
    on: date

    def days_left(self, day: date) -> int:
        return (self.on - day).days


@dataclass(frozen=True)
class Overview:
    """A vendor's BAA, contract and decision as they stand today."""

    vendor: Vendor
    agreement: Agreement | None
    state: BaaState
    breach: BreachWindow
    decision: VendorDecision | None
    standing: DecisionStanding
    gaps: list[Gap]
    clauses: list[ClauseRow]
    dates: list[KeyDate]
    today: date

    @property
    def document(self) -> BaaDocument | None:
        return self.agreement.current_document if self.agreement else None

    @property
    def clauses_missing(self) -> list[ClauseRow]:
        return [row for row in self.clauses if row.check.standing is ClauseVerdict.ABSENT]


def overview(vendor: Vendor, *, on: date | None = None) -> Overview:
    day = on or today()
    agreement = agreement_of(vendor)
    state = state_of(vendor, agreement, on=day)
    decision = latest_decision(vendor)
    standing = decision_standing(decision.decision_enum if decision else None,
                                 decision.conditions_due_on if decision else None, state, day)
    return Overview(
        vendor=vendor, agreement=agreement, state=state,
        breach=breach_window(agreement.breach_notice_days if agreement else None),
        decision=decision, standing=standing, gaps=gaps_of(vendor, agreement, state),
        clauses=clause_rows(agreement.current_document if agreement else None),
        dates=key_dates(vendor, agreement, state), today=day)


def key_dates(vendor: Vendor, agreement: Agreement | None, state: BaaState) -> list[KeyDate]:
    """The vendor's dates to watch, soonest first."""
    dates: list[KeyDate] = []
    if agreement is not None:
        if state.expires_on and state.status is BaaStatus.SIGNED:
            dates.append(KeyDate("BAA term ends" if agreement.baa_auto_renews
                                 else "BAA expires", state.expires_on))
            notice = notice_deadline(state.expires_on, agreement.baa_notice_days)
            if notice and agreement.baa_auto_renews:
                dates.append(KeyDate("Last day to give notice on the BAA", notice))
        if agreement.contract_renews_on:
            dates.append(KeyDate("Contract renews", agreement.contract_renews_on))
        contract_end = agreement.contract_renews_on or agreement.contract_ends_on
        notice = notice_deadline(contract_end, agreement.contract_notice_days)
        if notice:
            dates.append(KeyDate("Last day to give notice on the contract", notice))
        if agreement.contract_ends_on:
            dates.append(KeyDate("Contract ends", agreement.contract_ends_on))
    review = review_due_on(vendor)
    if review:
        dates.append(KeyDate("Reassessment due", review))
    return sorted(dates, key=lambda d: d.on)


def review_due_on(vendor: Vendor) -> date | None:
    """The tier's cadence after the last completed assessment (see ``REVIEW_MONTHS``)."""
    last = db.session.scalar(
        select(Assessment.completed_at).where(Assessment.vendor_id == vendor.id,
                                              Assessment.status == Status.COMPLETED.value)
        .order_by(Assessment.completed_at.desc().nulls_last()).limit(1))
    tier = db.session.scalar(
        select(VendorScore.tier).where(VendorScore.vendor_id == vendor.id)
        .order_by(VendorScore.computed_at.desc(), VendorScore.id.desc()).limit(1))
    return next_review_on(last.date() if last else None, tier,
                          current_app.config["REVIEW_MONTHS"])


def history(vendor: Vendor, limit: int = 50) -> list[AuditEvent]:
    """The audited changes to the vendor's BAA, contract, clauses and decisions, newest first."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "vendor",
                                 AuditEvent.object_id == str(vendor.id),
                                 AuditEvent.action.in_(HISTORY_ACTIONS))
        .order_by(AuditEvent.id.desc()).limit(limit)))
