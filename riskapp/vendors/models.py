"""The vendor inventory: who holds or handles PHI for us, and how much it matters."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from riskapp.database import UTCDateTime, db, utcnow


class Category(enum.StrEnum):
    EMAIL = "email"
    HOSTING = "hosting"
    MARKETING = "marketing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"email": "Email", "hosting": "Hosting", "marketing": "Marketing"}.get(
            self.value, "Other"
        )


class Criticality(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        return list(Criticality).index(self)


class VendorStatus(enum.StrEnum):
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    OFFBOARDED = "offboarded"

    @property
    def label(self) -> str:
        return self.value.capitalize()


def vendor_name_key(name: str) -> str:
    """Return the form of a vendor name that two spellings of one vendor share."""
    return " ".join(name.casefold().split())


class Vendor(db.Model):
    __tablename__ = "vendors"
    # The vendor list's usual order: working vendors by name, read from the index in order,
    # so a page far down the list costs no sort.
    __table_args__ = (Index("ix_vendors_working_by_name", "archived_at", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name as uniqueness sees it: "ACME  Mail" and "acme mail" are one vendor.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    services: Mapped[str] = mapped_column(Text, default="")
    stores_phi: Mapped[bool] = mapped_column(default=False)
    processes_phi: Mapped[bool] = mapped_column(default=False)
    transmits_phi: Mapped[bool] = mapped_column(default=False)
    criticality: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    business_owner: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Archived vendors leave the working list but keep their history.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    domains: Mapped[list[VendorDomain]] = relationship(
        back_populates="vendor",
        cascade="all, delete-orphan",
        order_by="(VendorDomain.is_primary.desc(), VendorDomain.domain)",
    )

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = vendor_name_key(name)
        return name

    @property
    def primary_domain(self) -> str:
        return next((d.domain for d in self.domains if d.is_primary), "")

    @property
    def extra_domains(self) -> list[str]:
        return [d.domain for d in self.domains if not d.is_primary]

    @property
    def handles_phi(self) -> bool:
        return self.stores_phi or self.processes_phi or self.transmits_phi

    @property
    def category_enum(self) -> Category:
        return Category(self.category)

    @property
    def criticality_enum(self) -> Criticality:
        return Criticality(self.criticality)

    @property
    def status_enum(self) -> VendorStatus:
        return VendorStatus(self.status)

    def __repr__(self) -> str:
        return f"<Vendor {self.id} {self.name}>"


class VendorDomain(db.Model):
    __tablename__ = "vendor_domains"
    __table_args__ = (UniqueConstraint("vendor_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    # Stored in ASCII (IDNA) form, lower case, without scheme, port or path.
    domain: Mapped[str] = mapped_column(String(253), index=True)
    is_primary: Mapped[bool] = mapped_column(default=False)

    vendor: Mapped[Vendor] = relationship(back_populates="domains")
