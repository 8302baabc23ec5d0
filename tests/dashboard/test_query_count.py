"""The dashboard runs the same few queries whatever the size of the inventory: no query per
vendor, assessment, finding or event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from itertools import count

from flask.testing import FlaskClient

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.assessments.models import Assessment, Status
from riskapp.database import db, utcnow
from riskapp.scans.models import Scan
from riskapp.vendors import services as vendors
from riskapp.vendors.models import Category, Criticality, VendorStatus
from scanners.findings import Severity
from tests.dashboard.conftest import days_ago
from tests.dashboard.pages import panel_text, rows
from tests.queries import statements_run

CATEGORIES = list(Category)




def add_vendors(how_many: int, numbers: Iterator[int], officer: User,
                make_assessment: Callable[..., Assessment],
                make_scan: Callable[..., Scan]) -> None:
    """Vendors with what the dashboard shows of each: a completed and an overdue assessment,
    older and newer scans with high and critical findings, and audit events."""
    for _ in range(how_many):
        n = next(numbers)
        vendor = vendors.create_vendor(vendors.VendorFields(
            name=f"Vendor {n}", primary_domain=f"vendor{n}.example",
            category=CATEGORIES[n % len(CATEGORIES)], criticality=Criticality.HIGH,
            status=VendorStatus.ACTIVE, stores_phi=n % 2 == 0), actor=officer)
        make_assessment(vendor, Status.COMPLETED, score=n % 100, floor="critical" if n % 7 == 0
                        else None, due_date=days_ago(60))
        make_assessment(vendor, Status.SENT, due_date=days_ago(1 + n % 40))
        make_scan(vendor, (Severity.HIGH, "Old finding"),
                  finished_at=utcnow() - dt.timedelta(days=30, minutes=n))
        make_scan(vendor, (Severity.CRITICAL, "Expired certificate"),
                  (Severity.HIGH, "No DMARC policy"), (Severity.LOW, "No CAA"),
                  finished_at=utcnow() - dt.timedelta(minutes=n))
    db.session.commit()


def test_the_dashboard_runs_as_many_queries_for_300_vendors_as_for_3(
    login_as: Callable[..., FlaskClient], make_user: Callable[..., User],
    make_assessment: Callable[..., Assessment], make_scan: Callable[..., Scan],
) -> None:
    officer = make_user(Role.OFFICER)
    client = login_as(Role.VIEWER)
    numbers = count(1)
    client.get("/vendors/")  # the first request may open connections; count from the second
    add_vendors(3, numbers, officer, make_assessment, make_scan)

    with statements_run() as few:  # the data changed: the dashboard is counted afresh
        small = client.get("/").text
    add_vendors(297, numbers, officer, make_assessment, make_scan)
    with statements_run() as many:
        large = client.get("/").text

    assert "3 vendors in the inventory" in panel_text(small, "total")
    assert "300 vendors in the inventory" in panel_text(large, "total")
    assert len(rows(small, "overdue")) == 3
    assert len(rows(small, "findings")) == 3 * 2
    assert len(rows(large, "overdue")) == len(rows(large, "findings")) == 10
    assert len(rows(large, "activity")) == 10
    assert len(many) == len(few), "\n\n".join(many)
