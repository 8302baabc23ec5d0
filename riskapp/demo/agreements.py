"""The demo's BAAs, contracts and decisions: one vendor in each state an officer meets.

Every date is counted in days from the day the demo loads, so the demo always has deadlines
coming up and a few already missed. Everything is recorded through the agreement services, as
an officer would, so each change is in the audit log and each vendor is rescored.

============================  ============================================================
Northwind Secure Mail         signed, current, uploaded as a PDF (no audit right); approved
Bluebird Transactional Email  signed, expires within 30 days; contract notice date missed
Summit Cloud Hosting          signed, renews itself, notice date soon; covers too little
Ironclad Backup               approved while signed, then lapsed: needs attention
Harborview Fax-to-Email       in negotiation; approved on conditions due soon
Beacon Digital Marketing      requested (a tag of theirs reached the booking page)
Meadowlark Patient Surveys    the vendor refuses a BAA; rejected
Pinecrest Web Hosting         not required (no PHI); approved without PHI
Quillstone Print & Mail       terminated with the contract
Clearpath Transcription       handles PHI, no BAA recorded at all: missing
============================  ============================================================
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO

from werkzeug.datastructures import FileStorage

from riskapp.accounts.models import User
from riskapp.agreements import services as agreements
from riskapp.agreements.models import BaaStatus, Decision
from riskapp.agreements.services import AgreementFields
from riskapp.agreements.status import HIPAA_BREACH_NOTICE_DAYS
from riskapp.demo.baa_document import SignedBaa, render
from riskapp.vendors.models import Vendor

DEMO_COVERED_ENTITY = "Lakeshore Community Health"


@dataclass(frozen=True)
class ExampleAgreement:
    """A vendor's BAA and contract; each ``*_day`` counts days from the load day."""

    vendor_name: str
    status: BaaStatus
    notes: str
    baa_required: bool | None = None
    effective_day: int | None = None
    expires_day: int | None = None
    auto_renews: bool = False
    baa_notice_days: int | None = None
    breach_notice_days: int | None = None
    signed_by_vendor: str = ""
    covered_services: str = ""
    covered_regions: str = ""
    data_locations: str = ""
    contract_starts_day: int | None = None
    contract_renews_day: int | None = None
    contract_ends_day: int | None = None
    contract_notice_days: int | None = None

    def fields(self, today: date, officer: User) -> AgreementFields:
        def day(offset: int | None) -> date | None:
            return None if offset is None else today + timedelta(days=offset)

        signed = self.status is BaaStatus.SIGNED or bool(self.signed_by_vendor)
        return AgreementFields(
            baa_required=self.baa_required, baa_status=self.status.value,
            baa_effective_on=day(self.effective_day), baa_expires_on=day(self.expires_day),
            baa_auto_renews=self.auto_renews, baa_notice_days=self.baa_notice_days,
            breach_notice_days=self.breach_notice_days, signed_by_vendor=self.signed_by_vendor,
            signed_by_us=f"{officer.name}, Privacy Officer" if signed else "",
            covered_services=self.covered_services, covered_regions=self.covered_regions,
            data_locations=self.data_locations, contract_starts_on=day(self.contract_starts_day),
            contract_renews_on=day(self.contract_renews_day),
            contract_ends_on=day(self.contract_ends_day),
            contract_notice_days=self.contract_notice_days, contract_owner_id=officer.id,
            notes=self.notes)


@dataclass(frozen=True)
class ExampleDecision:
    vendor_name: str
    decision: Decision
    reason: str
    conditions_due_day: int | None = None


@dataclass(frozen=True)
class ExampleLapse:
    """A BAA found, after the vendor was approved for PHI, to have run out."""

    vendor_name: str
    effective_day: int
    expires_day: int
    notes: str


@dataclass(frozen=True)
class ExampleDocument:
    """The signed BAA uploaded as a PDF; the services are the ones its recitals name."""

    vendor_name: str
    filename: str
    services: str


SIGNED_DOCUMENT = ExampleDocument("Northwind Secure Mail", "northwind-baa-signed.pdf",
                                  "hosted email, archiving and an encrypted delivery portal")

EXAMPLE_AGREEMENTS = (
    ExampleAgreement(
        "Northwind Secure Mail", BaaStatus.SIGNED, effective_day=-420, expires_day=675,
        breach_notice_days=5, signed_by_vendor="Dana Whitfield, Chief Information Security "
        "Officer", covered_services="Hosted email\nEncrypted delivery portal\nArchiving",
        covered_regions="United States", data_locations="United States",
        contract_starts_day=-420, contract_renews_day=75, contract_notice_days=60,
        notes="Signed BAA on file. The vendor struck the audit clause; its SOC 2 Type II report "
              "comes each year instead."),
    ExampleAgreement(
        "Bluebird Transactional Email", BaaStatus.SIGNED, effective_day=-344, expires_day=21,
        signed_by_vendor="Luis Ortega, Compliance Manager",
        covered_services="Transactional email API\nAppointment reminder and password reset "
                         "emails", covered_regions="United States",
        data_locations="United States", contract_starts_day=-344, contract_renews_day=21,
        contract_notice_days=30,
        notes="One-year BAA with no renewal clause: the renewal copy is with their legal team. "
              "The BAA sets no breach notice window."),
    ExampleAgreement(
        "Summit Cloud Hosting", BaaStatus.SIGNED, effective_day=-630, expires_day=-265,
        auto_renews=True, baa_notice_days=90, breach_notice_days=30,
        signed_by_vendor="Priya Raman, Director of Compliance",
        covered_services="Managed VMs\nBlock storage and snapshots",
        covered_regions="us-east-1\nus-west-2", data_locations="us-east-1\nca-central-1",
        contract_starts_day=-630, contract_renews_day=100, contract_notice_days=60,
        notes="Their BAA names the services it covers: the managed database and the Canadian "
              "disaster-recovery region are not among them."),
    ExampleAgreement(
        "Ironclad Backup", BaaStatus.SIGNED, effective_day=-300, expires_day=65,
        breach_notice_days=10, signed_by_vendor="Sam Keller, General Counsel",
        covered_services="Offsite encrypted backups", covered_regions="United States",
        data_locations="United States", contract_starts_day=-1115, contract_renews_day=200,
        contract_notice_days=90, notes="Signed BAA on file."),
    ExampleAgreement(
        "Harborview Fax-to-Email", BaaStatus.NEGOTIATING, contract_starts_day=30,
        notes="Their draft allows 30 days to report a breach; we asked for 10. Go-live waits "
              "for the signed BAA."),
    ExampleAgreement(
        "Beacon Digital Marketing", BaaStatus.REQUESTED, baa_required=True,
        contract_starts_day=-500, contract_renews_day=140, contract_notice_days=30,
        notes="A tag they manage was found on the appointment booking page, which sends visit "
              "details to an ad platform: BAA requested, and the tag's removal."),
    ExampleAgreement(
        "Meadowlark Patient Surveys", BaaStatus.REFUSED,
        notes="Their standard terms exclude PHI and they will not sign a BAA; the surveys need "
              "patient names, emails and visit dates."),
    ExampleAgreement(
        "Pinecrest Web Hosting", BaaStatus.NOT_REQUIRED, contract_starts_day=-800,
        contract_renews_day=50, contract_notice_days=30,
        notes="Public marketing site on a shared plan, which offers no BAA: no PHI and no "
              "patient forms may go there."),
    ExampleAgreement(
        "Quillstone Print & Mail", BaaStatus.TERMINATED, effective_day=-2190,
        signed_by_vendor="Quillstone Print & Mail, Inc.", contract_starts_day=-2190,
        contract_ends_day=-400,
        notes="Terminated with the contract; their certificate of destruction of our PHI is on "
              "file."),
)
# Clearpath Transcription handles PHI and has no agreement at all: its BAA shows as missing.

EXAMPLE_DECISIONS = (
    ExampleDecision("Northwind Secure Mail", Decision.APPROVED_PHI,
                    "Signed BAA in force with a 5-day breach notice window; the yearly SOC 2 "
                    "Type II report accepted in place of an audit right."),
    ExampleDecision("Ironclad Backup", Decision.APPROVED_PHI,
                    "Signed BAA in force; backups are encrypted with keys we hold."),
    ExampleDecision("Harborview Fax-to-Email", Decision.CONDITIONAL,
                    "May start the referral fax pilot once the BAA is signed with a breach "
                    "notice window of 10 days or less.", conditions_due_day=14),
    ExampleDecision("Meadowlark Patient Surveys", Decision.REJECTED,
                    "Refuses to sign a BAA, and the surveys cannot work without PHI."),
    ExampleDecision("Pinecrest Web Hosting", Decision.APPROVED_NO_PHI,
                    "Public marketing site only: no patient forms, portal pages or PHI."),
)

EXAMPLE_LAPSES = (
    ExampleLapse("Ironclad Backup", effective_day=-1115, expires_day=-20,
                 notes="The BAA on file ran out: the dates were read again from the signed "
                       "copy. Renewal requested from the vendor."),
)


def signed_document(vendor: Vendor, terms: AgreementFields) -> FileStorage:
    """The vendor's signed BAA as a PDF upload, with the dates and terms recorded for it."""
    if terms.baa_effective_on is None or terms.baa_expires_on is None:
        raise ValueError(f"The demo BAA of {vendor.name} needs its effective and expiry dates.")
    baa = SignedBaa(
        covered_entity=DEMO_COVERED_ENTITY, vendor=f"{vendor.name}, Inc.",
        services=SIGNED_DOCUMENT.services, effective_on=terms.baa_effective_on,
        expires_on=terms.baa_expires_on,
        breach_notice_days=terms.breach_notice_days or HIPAA_BREACH_NOTICE_DAYS,
        vendor_signatory=terms.signed_by_vendor, our_signatory=terms.signed_by_us)
    return FileStorage(stream=BytesIO(render(baa)), filename=SIGNED_DOCUMENT.filename,
                       content_type="application/pdf")


def load_example_agreements(officer: User, by_name: dict[str, Vendor]) -> set[str]:
    """Record the example BAAs and contracts, upload the signed one, decide, then let one BAA
    lapse; ``officer`` acts and owns the contracts. Return the names of the vendors whose BAA
    was recorded: recording one rescored the vendor."""
    today = agreements.today()
    for example in EXAMPLE_AGREEMENTS:
        vendor = by_name[example.vendor_name]
        terms = example.fields(today, officer)
        agreements.save_agreement(vendor, terms, actor=officer)
        if example.vendor_name == SIGNED_DOCUMENT.vendor_name:
            agreements.store_document(vendor, signed_document(vendor, terms), actor=officer)
    for decision in EXAMPLE_DECISIONS:
        due = decision.conditions_due_day
        agreements.decide(by_name[decision.vendor_name], decision.decision, decision.reason,
                          actor=officer,
                          conditions_due_on=None if due is None else today + timedelta(days=due))
    for lapse in EXAMPLE_LAPSES:
        vendor = by_name[lapse.vendor_name]
        terms = dataclasses.replace(
            AgreementFields.of(agreements.agreement_of(vendor)),
            baa_effective_on=today + timedelta(days=lapse.effective_day),
            baa_expires_on=today + timedelta(days=lapse.expires_day), notes=lapse.notes)
        agreements.save_agreement(vendor, terms, actor=officer)
    return {example.vendor_name for example in EXAMPLE_AGREEMENTS}
