"""Load the demo data once, into an empty database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from riskapp.access import Role
from riskapp.accounts import services as accounts
from riskapp.accounts.models import User
from riskapp.database import db, utcnow
from riskapp.demo.data import DEMO_ADMIN_EMAIL, DEMO_VENDORS
from riskapp.demo.scan_data import EXAMPLE_ACCEPTANCES, EXAMPLE_SCANS
from riskapp.scans import services as scans
from riskapp.scans.models import Scan, ScanStatus, finding_fingerprint
from riskapp.scoring import services as scoring
from riskapp.vendors import services as vendors
from riskapp.vendors.models import Vendor


@dataclass(frozen=True)
class DemoLoad:
    admin_email: str
    admin_password: str
    vendor_count: int
    scan_count: int


def has_users() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def has_vendors() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Vendor)))


def load_demo_data() -> DemoLoad | None:
    """Create the demo admin and vendors, unless the database already has accounts or vendors."""
    if has_users() or has_vendors():
        return None
    admin, password = accounts.create_user(DEMO_ADMIN_EMAIL, Role.ADMIN, actor=None,
                                           name="Demo Administrator")
    by_name = {fields.name: vendors.create_vendor(fields, actor=admin) for fields in DEMO_VENDORS}
    load_example_scans(admin, by_name)
    for vendor in by_name.values():
        scoring.score_quietly(vendor, actor=admin, reason="demo data loaded")
    return DemoLoad(admin.email, password, len(DEMO_VENDORS), len(EXAMPLE_SCANS))


def load_example_scans(admin: User, by_name: dict[str, Vendor]) -> None:
    """Store the example scans as if they had run, and accept the example risks."""
    now = utcnow()
    latest: dict[str, Scan] = {}
    for example in sorted(EXAMPLE_SCANS, key=lambda e: -e.days_ago):  # oldest first
        vendor = by_name[example.vendor_name]
        finished = now - timedelta(days=example.days_ago)
        scan = Scan(vendor=vendor, requested_by=admin, status=ScanStatus.QUEUED.value,
                    domains=[row.domain for row in vendor.domains], attempts=1,
                    requested_at=finished - timedelta(minutes=2),
                    started_at=finished - timedelta(minutes=1))
        db.session.add(scan)
        scans.record_results(scan, example.reports, finished_at=finished)
        latest[vendor.name] = scan
    for acceptance in EXAMPLE_ACCEPTANCES:
        fingerprint = finding_fingerprint(acceptance.finding_id, acceptance.target)
        finding = next(f for f in latest[acceptance.vendor_name].findings
                       if f.fingerprint == fingerprint)
        scans.accept_risk(finding, acceptance.reason, actor=admin)
