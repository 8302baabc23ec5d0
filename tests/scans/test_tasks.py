"""The scan job: it scans every domain of the vendor, stores what it found, and retries (and
says why) when the scan raises. Jobs run at once here (huey's immediate mode)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from riskapp.database import db
from riskapp.scans import scanning, services, tasks
from riskapp.scans.models import ScanStatus
from riskapp.scans.queue import scan_queue
from riskapp.vendors.models import Vendor
from scanners.catalog import CATALOG
from scanners.scan import DomainReport
from tests.scanners.lab.dns_server import DnsLab
from tests.scanners.lab.web_server import WebLab
from tests.scans.conftest import LAB_DOMAIN, LAB_FINDINGS, lab_scan_config, only_scan

RETRIES = 2


@pytest.fixture
def app_config(dns_lab: DnsLab, web_lab: WebLab) -> dict[str, Any]:
    return lab_scan_config(dns_lab, web_lab, QUEUE_IMMEDIATE=True, SCAN_RETRIES=RETRIES)


@pytest.fixture
def fake_scanner(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[list[str]]]:
    """Replace the scanner by one that raises ``failures`` times, then finds nothing; return
    the domains of each call."""

    def install(failures: int) -> list[list[str]]:
        calls: list[list[str]] = []

        def scan(domains: list[str], options: scanning.ScanOptions) -> list[DomainReport]:
            calls.append(list(domains))
            if len(calls) <= failures:
                raise ConnectionResetError("resolver went away")
            return [DomainReport(domain=d, findings=(), errors=(), duration=0.1)
                    for d in domains]

        monkeypatch.setattr(scanning, "scan_domains", scan)
        return calls

    return install


def test_a_scan_of_the_lab_stores_every_finding_with_its_evidence(
    lab: WebLab, clinic: Vendor, officer: FlaskClient,
) -> None:
    officer.post(f"/vendors/{clinic.id}/scans/")

    scan = only_scan()
    assert scan.status == ScanStatus.DONE
    assert (scan.attempts, scan.error, scan.domain_errors) == (1, "", {})
    assert scan.started_at is not None
    assert scan.finished_at is not None
    assert scan.finished_at >= scan.started_at
    assert {f.finding_id for f in scan.findings} == LAB_FINDINGS
    (no_redirect,) = (f for f in scan.findings if f.finding_id == "web.http.no_redirect")
    assert (no_redirect.severity, no_redirect.target, no_redirect.domain) == (
        "medium", f"http://{LAB_DOMAIN}/", LAB_DOMAIN)
    assert no_redirect.evidence == f"http://{LAB_DOMAIN}/ 200"
    assert no_redirect.title == "Plain HTTP does not redirect to HTTPS"
    assert no_redirect.remediation == CATALOG["web.http.no_redirect"].remediation
    assert {(r.scheme, r.host) for r in lab.requests} >= {("https", LAB_DOMAIN),
                                                         ("http", LAB_DOMAIN)}


def test_every_domain_of_the_vendor_is_scanned(
    lab: WebLab, make_vendor: Callable[..., Vendor], officer: FlaskClient,
) -> None:
    vendor = make_vendor("Clinic Mail", primary_domain=LAB_DOMAIN,
                         extra_domains=["nowhere.test"])

    officer.post(f"/vendors/{vendor.id}/scans/")

    scan = only_scan()
    assert scan.domains == [LAB_DOMAIN, "nowhere.test"]
    assert {f.domain for f in scan.findings} == {LAB_DOMAIN, "nowhere.test"}
    assert "web.https.unreachable" in {f.finding_id for f in scan.findings
                                       if f.domain == "nowhere.test"}
    # The lab has no website for nowhere.test, so headers and tracking could not run there.
    assert list(scan.domain_errors) == ["nowhere.test"]


def test_a_scan_that_raises_is_retried_and_the_error_is_kept(
    clinic: Vendor, officer: FlaskClient, fake_scanner: Callable[[int], list[list[str]]],
) -> None:
    calls = fake_scanner(1)

    officer.post(f"/vendors/{clinic.id}/scans/")

    scan = only_scan()
    assert calls == [[LAB_DOMAIN], [LAB_DOMAIN]]
    assert (scan.status, scan.attempts) == (ScanStatus.DONE, 2)
    assert scan.error == "ConnectionResetError: resolver went away"
    page = officer.get(f"/vendors/{clinic.id}").text
    assert "on attempt 2" in page
    assert "An earlier attempt failed: ConnectionResetError: resolver went away" in page


def test_a_scan_that_keeps_failing_fails_visibly_after_its_retries(
    clinic: Vendor, officer: FlaskClient, fake_scanner: Callable[[int], list[list[str]]],
) -> None:
    calls = fake_scanner(99)

    officer.post(f"/vendors/{clinic.id}/scans/")

    scan = only_scan()
    assert len(calls) == 1 + RETRIES
    assert (scan.status, scan.attempts) == (ScanStatus.FAILED, 1 + RETRIES)
    assert scan.error == "ConnectionResetError: resolver went away"
    assert scan.findings == []
    page = officer.get(f"/vendors/{clinic.id}").text
    assert "after 3 attempts" in page
    assert "ConnectionResetError: resolver went away" in page


def test_a_failed_attempt_waits_as_queued_for_its_retry(
    clinic: Vendor, app: Flask, fake_scanner: Callable[[int], list[list[str]]],
) -> None:
    fake_scanner(1)
    scan_id = services.request_scan(clinic, actor=None).id
    db.session.commit()

    with pytest.raises(ConnectionResetError):
        tasks.run_scan(scan_id, will_retry=True)

    scan = only_scan()
    assert (scan.status, scan.attempts, scan.finished_at) == (ScanStatus.QUEUED, 1, None)
    assert scan.error == "ConnectionResetError: resolver went away"


def test_a_job_delivered_twice_scans_once(
    clinic: Vendor, app: Flask, fake_scanner: Callable[[int], list[list[str]]],
) -> None:
    calls = fake_scanner(0)
    scan_id = services.request_scan(clinic, actor=None).id
    db.session.commit()

    scan_queue(app).submit(scan_id)
    scan_queue(app).submit(scan_id)

    assert len(calls) == 1
    assert only_scan().attempts == 1
