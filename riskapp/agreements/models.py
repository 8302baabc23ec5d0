"""A vendor's Business Associate Agreement and contract, and our decision about the vendor.

One :class:`Agreement` row per vendor holds the BAA and contract as they stand; every change
to it is written to the audit log with its before and after, which is the agreement's history.
Signed BAA documents are kept as :class:`BaaDocument` rows (the file itself under the instance
folder by its SHA-256), each with the clause checklist read from its text. A
:class:`VendorDecision` is appended for every approval decision; the newest one stands.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskapp.accounts.models import User
from riskapp.database import UTCDateTime, db, utcnow
from riskapp.vendors.models import Vendor


class BaaStatus(enum.StrEnum):
    NOT_REQUIRED = "not_required"
    MISSING = "missing"
    REQUESTED = "requested"
    NEGOTIATING = "negotiating"
    SIGNED = "signed"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return BAA_STATUS_LABELS[self]

    @property
    def in_force(self) -> bool:
        return self is BaaStatus.SIGNED


BAA_STATUS_LABELS = {
    BaaStatus.NOT_REQUIRED: "Not required",
    BaaStatus.MISSING: "Required but missing",
    BaaStatus.REQUESTED: "Requested",
    BaaStatus.NEGOTIATING: "In negotiation",
    BaaStatus.SIGNED: "Signed",
    BaaStatus.EXPIRED: "Expired",
    BaaStatus.TERMINATED: "Terminated",
    BaaStatus.REFUSED: "Vendor refuses",
}


class Decision(enum.StrEnum):
    APPROVED_PHI = "approved_phi"
    APPROVED_NO_PHI = "approved_no_phi"
    CONDITIONAL = "conditional"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {
            "approved_phi": "Approved for PHI",
            "approved_no_phi": "Approved without PHI",
            "conditional": "Conditionally approved",
            "rejected": "Rejected",
        }[self.value]


class Agreement(db.Model):
    """The vendor's BAA and contract terms, as the officer recorded them."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), unique=True)
    # ``None`` follows the vendor's PHI flags: a BAA is required when it touches PHI.
    baa_required: Mapped[bool | None] = mapped_column()
    baa_status: Mapped[str] = mapped_column(String(20), default=BaaStatus.MISSING.value,
                                            index=True)
    baa_effective_on: Mapped[date | None] = mapped_column(Date)
    baa_expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    baa_auto_renews: Mapped[bool] = mapped_column(default=False)
    baa_notice_days: Mapped[int | None] = mapped_column()
    breach_notice_days: Mapped[int | None] = mapped_column()
    signed_by_vendor: Mapped[str] = mapped_column(String(200), default="")
    signed_by_us: Mapped[str] = mapped_column(String(200), default="")
    # One entry per line: what the BAA says it covers.
    covered_services: Mapped[str] = mapped_column(Text, default="")
    covered_regions: Mapped[str] = mapped_column(Text, default="")
    # Where the vendor keeps our data, as the inventory knows it (the questionnaire's data
    # location answers are added to these when coverage is checked).
    data_locations: Mapped[str] = mapped_column(Text, default="")
    contract_starts_on: Mapped[date | None] = mapped_column(Date)
    contract_renews_on: Mapped[date | None] = mapped_column(Date, index=True)
    contract_ends_on: Mapped[date | None] = mapped_column(Date, index=True)
    contract_notice_days: Mapped[int | None] = mapped_column()
    contract_owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vendor: Mapped[Vendor] = relationship()
    contract_owner: Mapped[User | None] = relationship()
    documents: Mapped[list[BaaDocument]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan",
        order_by="BaaDocument.uploaded_at.desc(), BaaDocument.id.desc()")

    @property
    def recorded_status(self) -> BaaStatus:
        return BaaStatus(self.baa_status)

    @property
    def current_document(self) -> BaaDocument | None:
        return self.documents[0] if self.documents else None


# The columns the BAA's standing and the deadlines are worked out from (see ``BaaTerms``):
# pages over thousands of agreements read these, not whole objects.
TERM_COLUMNS = (
    Agreement.id, Agreement.vendor_id, Agreement.baa_required, Agreement.baa_status,
    Agreement.baa_effective_on, Agreement.baa_expires_on, Agreement.baa_auto_renews,
    Agreement.baa_notice_days, Agreement.contract_renews_on, Agreement.contract_ends_on,
    Agreement.contract_notice_days, Agreement.contract_owner_id,
)


class BaaDocument(db.Model):
    """A signed BAA as uploaded, and what its text layer said."""

    __tablename__ = "baa_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(default=0)
    # Why no clause was read from the file (no text layer, unreadable), or empty.
    text_problem: Mapped[str] = mapped_column(Text, default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    agreement: Mapped[Agreement] = relationship(back_populates="documents")
    uploaded_by: Mapped[User | None] = relationship()
    clauses: Mapped[list[ClauseCheck]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="ClauseCheck.id")


class ClauseVerdict(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"


class ClauseCheck(db.Model):
    """One required provision: the sentence the text check matched (or none), and what the
    officer decided after reading the document."""

    __tablename__ = "baa_clause_checks"
    __table_args__ = (UniqueConstraint("document_id", "clause"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("baa_documents.id", ondelete="CASCADE"), index=True)
    clause: Mapped[str] = mapped_column(String(40))
    matched_sentence: Mapped[str | None] = mapped_column(Text)
    verdict: Mapped[str | None] = mapped_column(String(10))  # ClauseVerdict, once confirmed
    note: Mapped[str] = mapped_column(Text, default="")
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    document: Mapped[BaaDocument] = relationship(back_populates="clauses")
    confirmed_by: Mapped[User | None] = relationship()

    @property
    def suggested(self) -> ClauseVerdict:
        return ClauseVerdict.PRESENT if self.matched_sentence else ClauseVerdict.ABSENT

    @property
    def standing(self) -> ClauseVerdict:
        """The officer's verdict once given, the text check's suggestion until then."""
        return ClauseVerdict(self.verdict) if self.verdict else self.suggested


class VendorDecision(db.Model):
    """An approval decision about the vendor, with its reason; the newest stands."""

    __tablename__ = "vendor_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"),
                                           index=True)
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    # Conditional approvals: the day the conditions must be met by.
    conditions_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    vendor: Mapped[Vendor] = relationship()
    decided_by: Mapped[User | None] = relationship()

    @property
    def decision_enum(self) -> Decision:
        return Decision(self.decision)
