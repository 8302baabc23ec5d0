"""Figures for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from riskapp.database import db
from riskapp.vendors.models import Category, Criticality, Vendor, VendorStatus
from riskapp.vendors.services import count_by


@dataclass(frozen=True)
class InventoryOverview:
    total: int
    handling_phi: int
    by_category: list[tuple[Category, int]]
    by_criticality: list[tuple[Criticality, int]]
    by_status: list[tuple[VendorStatus, int]]


def inventory_overview() -> InventoryOverview:
    by_category = count_by(Vendor.category)
    by_criticality = count_by(Vendor.criticality)
    by_status = count_by(Vendor.status)
    handling_phi = db.session.scalar(
        select(func.count()).select_from(Vendor).where(
            Vendor.archived_at.is_(None),
            or_(Vendor.stores_phi, Vendor.processes_phi, Vendor.transmits_phi),
        )
    ) or 0
    return InventoryOverview(
        total=sum(by_category.values()),
        handling_phi=handling_phi,
        by_category=[(c, by_category.get(c.value, 0)) for c in Category],
        by_criticality=[(c, by_criticality.get(c.value, 0)) for c in reversed(Criticality)],
        by_status=[(s, by_status.get(s.value, 0)) for s in VendorStatus],
    )
