"""Scans of a vendor's domains, the findings each one stored, and the risks officers accepted."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskapp.accounts.models import User
from riskapp.database import UTCDateTime, db, utcnow
from riskapp.vendors.models import Vendor
from scanners.findings import Severity


class ScanStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for a worker, at first or before a retry
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # every attempt failed; ``Scan.error`` says why

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def finished(self) -> bool:
        return self in (ScanStatus.DONE, ScanStatus.FAILED)


def finding_fingerprint(finding_id: str, target: str) -> str:
    """Return what one finding shares with the same finding in another scan of the vendor.

    The finding's id and the host or URL it concerns: the evidence and detail may change from
    scan to scan (a certificate's dates, a header's value) while the problem stays the same.
    """
    return hashlib.sha256(f"{finding_id}\n{target}".encode()).hexdigest()


class Scan(db.Model):
    """One scan of all of a vendor's domains, from the request to its outcome."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"),
                                           index=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=ScanStatus.QUEUED.value, index=True)
    # The vendor's domains when the scan was asked for: the ones it scans, and reports on.
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the worker running the scan last said it was alive (riskapp/scans/heartbeat.py).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    # Why the last attempt failed; kept after a retry succeeds, so the page can say so.
    error: Mapped[str] = mapped_column(Text, default="")
    # By domain, what the scan could not check though it ran ("DNS lookups failed: ...").
    domain_errors: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)

    vendor: Mapped[Vendor] = relationship()
    requested_by: Mapped[User | None] = relationship()
    findings: Mapped[list[ScanFinding]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="ScanFinding.id")

    @property
    def status_enum(self) -> ScanStatus:
        return ScanStatus(self.status)

    @property
    def findings_by_severity(self) -> list[ScanFinding]:
        return sorted_findings(self.findings)

    def severity_counts(self) -> dict[Severity, int]:
        """How many findings of each severity, highest first, leaving out the absent ones."""
        counts = dict.fromkeys(reversed(Severity), 0)
        for finding in self.findings:
            counts[finding.severity_enum] += 1
        return {severity: count for severity, count in counts.items() if count}

    @property
    def findings_summary(self) -> str:
        """The findings in words: "3 findings: 1 high, 2 low", or "no findings"."""
        if not self.findings:
            return "no findings"
        counts = ", ".join(f"{count} {severity}" for severity, count
                           in self.severity_counts().items())
        plural = "" if len(self.findings) == 1 else "s"
        return f"{len(self.findings)} finding{plural}: {counts}"

    def __repr__(self) -> str:
        return f"<Scan {self.id} of vendor {self.vendor_id} {self.status}>"


class ScanFinding(db.Model):
    """One finding a scan reported, as the scanner worded it then."""

    __tablename__ = "scan_findings"
    __table_args__ = (UniqueConstraint("scan_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(String(253))  # the vendor domain whose scan found it
    finding_id: Mapped[str] = mapped_column(String(100))  # the scanner catalog's id
    severity: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[str] = mapped_column(String(2000))
    remediation: Mapped[str] = mapped_column(Text, default="")
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)

    scan: Mapped[Scan] = relationship(back_populates="findings")

    @property
    def severity_enum(self) -> Severity:
        return Severity(self.severity)


class FindingAcceptance(db.Model):
    """An officer's decision to accept the risk of a finding, for this vendor, with a reason.

    It holds for the finding's fingerprint, so the same finding in later scans of the vendor
    shows as accepted too, until someone withdraws the acceptance.
    """

    __tablename__ = "finding_acceptances"
    __table_args__ = (UniqueConstraint("vendor_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"),
                                           index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # What was accepted, in words, for pages that show the acceptance without a scan.
    finding_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    target: Mapped[str] = mapped_column(String(2000))
    reason: Mapped[str] = mapped_column(Text)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vendor: Mapped[Vendor] = relationship()
    accepted_by: Mapped[User | None] = relationship()


def sorted_findings(findings: list[ScanFinding]) -> list[ScanFinding]:
    """Highest severity first, then by id and target, as the scanner orders its reports."""
    return sorted(findings, key=lambda f: (-f.severity_enum.rank, f.finding_id, f.target))
