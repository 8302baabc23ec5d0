"""Stored vendor scores: each one keeps the profile it was computed with, never rewritten."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskapp.database import UTCDateTime, db, utcnow
from riskapp.scoring.engine import VendorRisk
from riskapp.vendors.models import Vendor


class VendorScore(db.Model):
    """One rating of a vendor; the newest is its current one, the older ones its history."""

    __tablename__ = "vendor_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"),
                                           index=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(20), index=True)
    assessed: Mapped[bool] = mapped_column(default=False)
    profile_id: Mapped[str] = mapped_column(String(64))
    profile_version: Mapped[str] = mapped_column(String(20))
    profile_hash: Mapped[str] = mapped_column(String(64))
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL"))
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    computed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # The whole :class:`VendorRisk`: contributions, gates, parts and notes.
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)

    vendor: Mapped[Vendor] = relationship()

    @property
    def risk(self) -> VendorRisk:
        return VendorRisk.from_json(self.explanation)

    @property
    def profile_label(self) -> str:
        return f"{self.profile_id} {self.profile_version}"
