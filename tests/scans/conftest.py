"""Fixtures for the scan tests: the scanner lab on loopback, scans stored as if they had run,
and readers for what the tests check."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from riskapp.access import Role
from riskapp.audit.models import AuditEvent
from riskapp.database import db, utcnow
from riskapp.scans import services
from riskapp.scans.models import Scan, ScanStatus
from riskapp.vendors.models import Vendor
from scanners.catalog import finding
from scanners.findings import Finding
from scanners.scan import DomainReport
from tests.scanners.lab.dns_server import DnsLab
from tests.scanners.lab.web_server import Page, TlsKind, WebLab

LAB_DOMAIN = "clinic.test"


@pytest.fixture
def officer(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.OFFICER)


@pytest.fixture
def viewer(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.VIEWER)


# --- the scanner lab (its servers: tests/scanners/lab/fixtures.py) ------------------------


@pytest.fixture
def lab(dns_lab: DnsLab, web_lab: WebLab) -> WebLab:
    """clinic.test in the lab: a website on the good HTTPS server whose ``http://`` answers
    with a page instead of a redirect, SPF, and no mail servers or other mail records."""
    good = web_lab.address(TlsKind.GOOD)
    dns_lab.set_zones({LAB_DOMAIN: [("A", good), ("TXT", "v=spf1 -all")],
                       f"www.{LAB_DOMAIN}": [("A", good)]})
    web_lab.set_page(f"http://{LAB_DOMAIN}/", Page("<p>plain</p>"))
    return web_lab


# What a scan of the lab's clinic.test finds.
LAB_FINDINGS = {"email.dmarc.missing", "email.mx.missing", "web.http.no_redirect",
                "email.mta_sts.missing", "dns.caa.missing", "email.tlsrpt.missing"}


def lab_scan_config(dns_lab: DnsLab, web_lab: WebLab, **overrides: Any) -> dict[str, Any]:
    """App config that aims scans at the lab, lifting the loopback block and no other."""
    return {
        "SCAN_RESOLVER": f"127.0.0.1:{dns_lab.port}",
        "SCAN_CA_FILE": web_lab.ca_file,
        "SCAN_ALLOW_LOOPBACK": True,
        "SCAN_HTTPS_PORT": web_lab.https_port,
        "SCAN_HTTP_PORT": web_lab.http_port,
        "SCAN_TIMEOUT": 2.0,
        "SCAN_RETRY_DELAY": 0,
    } | overrides


# --- stored scans ----------------------------------------------------------------------------


def example_finding(finding_id: str = "email.dmarc.missing", target: str = "acme.example",
                    evidence: str = "no TXT record at _dmarc.acme.example") -> Finding:
    return finding(finding_id, target=target, evidence=evidence)


@pytest.fixture
def stored_scan() -> Callable[..., Scan]:
    """Store a finished scan of ``vendor`` that found ``findings``, as a worker would."""
    count = iter(range(1000, 0, -1))

    def store(vendor: Vendor, *findings: Finding, errors: tuple[str, ...] = ()) -> Scan:
        finished = utcnow() - timedelta(minutes=next(count))
        scan = Scan(vendor=vendor, status=ScanStatus.RUNNING.value, attempts=1,
                    domains=[row.domain for row in vendor.domains],
                    requested_at=finished, started_at=finished)
        db.session.add(scan)
        report = DomainReport(domain=vendor.primary_domain, findings=findings, errors=errors,
                              duration=1.0)
        services.record_results(scan, [report], finished_at=finished)
        db.session.commit()
        return scan

    return store


def text_of(page: str) -> str:
    """The page's text as a reader sees it: tags gone, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def only_scan() -> Scan:
    db.session.expire_all()
    return db.session.scalars(select(Scan)).one()


def only_queued() -> Scan:
    db.session.expire_all()
    return db.session.scalars(select(Scan).where(Scan.status == ScanStatus.QUEUED.value)).one()


def scan_events(prefix: str = "") -> list[AuditEvent]:
    db.session.expire_all()
    statement = select(AuditEvent).order_by(AuditEvent.id)
    if prefix:
        statement = statement.where(AuditEvent.action.startswith(prefix))
    return list(db.session.scalars(statement))


@pytest.fixture
def clinic(make_vendor: Callable[..., Vendor]) -> Vendor:
    """A vendor whose one domain is the lab's clinic.test."""
    return make_vendor("Clinic Mail", primary_domain=LAB_DOMAIN)


def ask_for_scan(client: FlaskClient, vendor: Vendor) -> ScanWatch:
    """Press "Scan now" on the vendor's page; return a watch on the scan it queued."""
    response = client.post(f"/vendors/{vendor.id}/scans/")
    assert response.status_code == 302
    return ScanWatch(only_scan().id)


@dataclass
class ScanWatch:
    """Polls a scan's status from the test's thread without holding a transaction open: on
    SQLite that would hold the write lock the worker needs."""

    scan_id: int

    def status(self) -> str:
        status = db.session.scalar(select(Scan.status).where(Scan.id == self.scan_id))
        db.session.rollback()
        return status or ""

    def wait_until_finished(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if ScanStatus(status).finished:
                return status
            time.sleep(0.1)
        raise AssertionError(f"scan {self.scan_id} still {self.status()} after {timeout}s")
