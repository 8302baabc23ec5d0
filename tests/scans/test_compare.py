"""Two scans of a vendor compare by fingerprint (finding id and target): new, resolved and
unchanged findings, whatever else changed in their wording."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from riskapp.scans import services
from riskapp.scans.models import Scan, finding_fingerprint
from riskapp.vendors.models import Vendor
from scanners.scan import DomainReport
from tests.scans.conftest import example_finding

DMARC = example_finding("email.dmarc.missing", "acme.example")
CAA = example_finding("dns.caa.missing", "acme.example", "no CAA record at acme.example")
HSTS = example_finding("web.hsts.missing", "https://acme.example/", "no HSTS header")


@pytest.fixture
def acme(make_vendor: Callable[..., Vendor]) -> Vendor:
    return make_vendor("Acme Mail", primary_domain="acme.example")


def ids(findings: list) -> list[str]:
    return [finding.finding_id for finding in findings]


def test_findings_are_new_resolved_or_unchanged(
    acme: Vendor, stored_scan: Callable[..., Scan],
) -> None:
    old = stored_scan(acme, DMARC, CAA)
    new = stored_scan(acme, DMARC, HSTS)

    comparison = services.compare(old, new)

    assert ids(comparison.new_findings) == ["web.hsts.missing"]
    assert ids(comparison.resolved) == ["dns.caa.missing"]
    assert ids(comparison.unchanged) == ["email.dmarc.missing"]
    assert comparison.unchanged[0].scan_id == new.id  # as the later scan worded it


def test_the_earlier_scan_is_the_old_one_whichever_order_they_come_in(
    acme: Vendor, stored_scan: Callable[..., Scan],
) -> None:
    old = stored_scan(acme, CAA)
    new = stored_scan(acme, HSTS)

    comparison = services.compare(new, old)

    assert (comparison.old, comparison.new) == (old, new)
    assert ids(comparison.resolved) == ["dns.caa.missing"]


def test_new_evidence_for_the_same_finding_is_no_change(
    acme: Vendor, stored_scan: Callable[..., Scan],
) -> None:
    old = stored_scan(acme, example_finding("web.hsts.missing", "https://acme.example/",
                                            'Strict-Transport-Security: "max-age=0"'))
    new = stored_scan(acme, HSTS)

    comparison = services.compare(old, new)

    assert (comparison.new_findings, comparison.resolved) == ([], [])
    assert ids(comparison.unchanged) == ["web.hsts.missing"]


def test_the_same_finding_on_another_target_is_another_finding(
    acme: Vendor, stored_scan: Callable[..., Scan],
) -> None:
    old = stored_scan(acme, HSTS)
    new = stored_scan(acme, example_finding("web.hsts.missing", "https://www.acme.example/"))

    comparison = services.compare(old, new)

    assert [f.target for f in comparison.new_findings] == ["https://www.acme.example/"]
    assert [f.target for f in comparison.resolved] == ["https://acme.example/"]


def test_a_finding_reported_by_two_domains_is_stored_once(acme: Vendor) -> None:
    shared_mx = example_finding("smtp.starttls.unsupported", "mx.shared.example", "no STARTTLS")
    scan = Scan(vendor=acme, domains=["acme.example", "acme.example.org"])

    services.record_results(scan, [
        DomainReport("acme.example", (shared_mx,), (), 1.0),
        DomainReport("acme.example.org", (shared_mx,), ("DNS lookups failed: x",), 1.0),
    ])

    assert [(f.domain, f.fingerprint) for f in scan.findings] == [
        ("acme.example", finding_fingerprint("smtp.starttls.unsupported", "mx.shared.example"))]
    assert scan.domain_errors == {"acme.example.org": ["DNS lookups failed: x"]}


def test_the_vendor_page_compares_its_two_latest_finished_scans(
    acme: Vendor, stored_scan: Callable[..., Scan],
) -> None:
    stored_scan(acme, DMARC)
    old = stored_scan(acme, CAA)
    new = stored_scan(acme, CAA, HSTS)

    scans = services.vendor_scans(acme)

    assert scans.latest is new
    assert scans.shown is new
    assert scans.changes is not None
    assert (scans.changes.old, scans.changes.new) == (old, new)
    assert ids(scans.changes.new_findings) == ["web.hsts.missing"]


def test_a_finding_not_seen_by_an_incomplete_scan_is_not_called_resolved(
    acme: Vendor, stored_scan: Callable[..., Scan],
) -> None:
    old = stored_scan(acme, DMARC, CAA)
    new = stored_scan(acme, errors=("DNS lookups failed: acme.example TXT (timed out)",))

    comparison = services.compare(old, new)

    assert comparison.resolved == []
    assert sorted(ids(comparison.not_rechecked)) == ["dns.caa.missing", "email.dmarc.missing"]
