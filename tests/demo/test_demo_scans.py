"""`flask demo load` stores a few example scans, so the demo shows findings without a network."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from click.testing import Result
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from riskapp.database import db
from riskapp.demo.scan_data import EXAMPLE_ACCEPTANCES, EXAMPLE_SCANS
from riskapp.scans import scanning, services
from riskapp.scans.models import FindingAcceptance, Scan, ScanFinding, ScanStatus
from riskapp.vendors.models import Vendor


@pytest.fixture
def loaded(runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch) -> Result:
    def no_network(*args: object) -> None:
        raise AssertionError("the demo must not scan")

    monkeypatch.setattr(scanning, "scan_domains", no_network)
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def vendor_named(name: str) -> Vendor:
    return db.session.scalars(select(Vendor).where(Vendor.name == name)).one()


def test_the_demo_stores_finished_scans_with_findings(loaded: Result) -> None:
    scans = db.session.scalars(select(Scan)).all()

    assert len(scans) == len(EXAMPLE_SCANS)
    assert {scan.status for scan in scans} == {ScanStatus.DONE}
    assert all(scan.findings for scan in scans)
    assert f"Stored {len(EXAMPLE_SCANS)} example scans" in loaded.output


def test_a_demo_vendor_shows_what_changed_between_its_scans(loaded: Result) -> None:
    scans = services.vendor_scans(vendor_named("Northwind Secure Mail"))

    assert scans.changes is not None
    assert [f.finding_id for f in scans.changes.new_findings] == ["web.cert.expiring_soon"]
    assert [f.finding_id for f in scans.changes.resolved] == ["smtp.tls.protocol_outdated"]
    assert len(scans.changes.unchanged) == 3


def test_the_demo_accepts_one_risk_on_a_finding_of_the_latest_scan(loaded: Result) -> None:
    [example] = EXAMPLE_ACCEPTANCES
    vendor = vendor_named(example.vendor_name)

    [acceptance] = db.session.scalars(select(FindingAcceptance)).all()
    scans = services.vendor_scans(vendor)

    assert acceptance.vendor_id == vendor.id
    assert scans.shown is not None
    assert acceptance.fingerprint in {f.fingerprint for f in scans.shown.findings}


def test_demo_findings_are_about_reserved_example_domains_only(loaded: Result) -> None:
    findings = db.session.scalars(select(ScanFinding)).all()
    hosts = {urlsplit(f.target).hostname or f.target for f in findings}

    assert findings
    assert all(host.endswith(".example") for host in hosts), hosts
    assert all(f.domain.endswith(".example") for f in findings)
