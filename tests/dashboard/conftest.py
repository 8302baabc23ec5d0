"""Fixtures for the dashboard tests: assessments and scans stored as the workflow and the scan
worker leave them, without going through either."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from riskapp.assessments.models import Assessment, Status
from riskapp.database import db, utcnow
from riskapp.scans.models import Scan, ScanFinding, ScanStatus, finding_fingerprint
from riskapp.scoring.models import VendorScore
from riskapp.vendors.models import Vendor
from scanners.findings import Severity

TODAY = dt.date.today()


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


@pytest.fixture
def make_assessment(app: Flask) -> Callable[..., Assessment]:
    """Store an assessment of ``vendor`` in ``status``; a completed one gets its score."""

    def make(vendor: Vendor, status: Status = Status.SENT, *, due_date: dt.date | None = None,
             score: float | None = None, floor: str | None = None,
             completed_at: dt.datetime | None = None, **fields: Any) -> Assessment:
        completed = status is Status.COMPLETED
        assessment = Assessment(
            vendor=vendor, status=status.value,
            due_date=due_date or TODAY + dt.timedelta(days=14),
            respondent_name="Vera Vendor", respondent_email="vera@vendor.example",
            score=score, score_floor=floor,
            completed_at=(completed_at or utcnow()) if completed else None, **fields)
        db.session.add(assessment)
        db.session.flush()
        return assessment

    return make


def stored_scan(vendor: Vendor, *findings: tuple[Severity, str],
                finished_at: dt.datetime | None = None,
                status: ScanStatus = ScanStatus.DONE) -> Scan:
    """Store a finished scan of ``vendor`` that found ``findings``: (severity, title) pairs."""
    finished = finished_at or utcnow()
    domain = vendor.primary_domain
    scan = Scan(vendor=vendor, status=status.value, attempts=1, domains=[domain],
                requested_at=finished, started_at=finished, finished_at=finished)
    for severity, title in findings:
        finding_id = "test." + "_".join(title.lower().split())
        scan.findings.append(ScanFinding(
            domain=domain, finding_id=finding_id, severity=severity.value, title=title,
            target=domain, fingerprint=finding_fingerprint(finding_id, domain)))
    db.session.add(scan)
    db.session.flush()
    return scan


@pytest.fixture
def make_scan(app: Flask) -> Callable[..., Scan]:
    """:func:`stored_scan`, in the test's app."""
    return stored_scan


@pytest.fixture
def make_score(app: Flask) -> Callable[..., VendorScore]:
    """Store a rating of ``vendor`` in ``tier``, as the scoring service leaves one."""

    def make(vendor: Vendor, tier: str, *, score: float = 50,
             computed_at: dt.datetime | None = None) -> VendorScore:
        row = VendorScore(vendor_id=vendor.id, score=score, tier=tier, assessed=True,
                          profile_id="default", profile_version="1.0.0", profile_hash="0" * 64,
                          computed_at=computed_at or utcnow(), explanation={})
        db.session.add(row)
        db.session.flush()
        return row

    return make
