"""Fixtures for the scoring tests: completed assessments and finished scans stored as the
workflow and the scan worker leave them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask

from riskapp.agreements.models import Agreement, BaaStatus
from riskapp.assessments.models import Assessment, Status
from riskapp.database import db, utcnow
from riskapp.scans.models import Scan, ScanFinding, ScanStatus, finding_fingerprint
from riskapp.vendors.models import Vendor


@pytest.fixture
def completed(app: Flask) -> Callable[..., Assessment]:
    def make(vendor: Vendor, score: float, floor: str | None = None) -> Assessment:
        assessment = Assessment(
            vendor=vendor, status=Status.COMPLETED.value, due_date=dt.date.today(),
            respondent_name="Vera Vendor", respondent_email="vera@vendor.example",
            score=score, score_floor=floor, completed_at=utcnow())
        db.session.add(assessment)
        db.session.commit()
        return assessment

    return make


@pytest.fixture
def scanned(app: Flask) -> Callable[..., Scan]:
    """A finished scan of ``vendor`` with findings given as (severity, title) pairs."""

    def make(vendor: Vendor, *findings: tuple[str, str]) -> Scan:
        domain = vendor.primary_domain
        scan = Scan(vendor=vendor, status=ScanStatus.DONE.value, attempts=1, domains=[domain],
                    finished_at=utcnow())
        for severity, title in findings:
            finding_id = "test." + "_".join(title.lower().split())
            scan.findings.append(ScanFinding(
                domain=domain, finding_id=finding_id, severity=severity, title=title,
                target=domain, fingerprint=finding_fingerprint(finding_id, domain)))
        db.session.add(scan)
        db.session.commit()
        return scan

    return make


@pytest.fixture
def signed_baa(app: Flask) -> Callable[[Vendor], Agreement]:
    """Record a signed BAA in force for ``vendor``, so the BAA gate stays shut."""

    def make(vendor: Vendor) -> Agreement:
        agreement = Agreement(vendor_id=vendor.id, baa_status=BaaStatus.SIGNED.value,
                              baa_effective_on=dt.date.today() - dt.timedelta(days=30))
        db.session.add(agreement)
        db.session.commit()
        return agreement

    return make
