"""The scan section of a vendor's page, a scan's own page and the comparison of two scans."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
import redis
from flask.testing import FlaskClient

from riskapp.scans.models import Scan, ScanStatus
from riskapp.scans.queue import ScanQueue
from riskapp.vendors.models import Vendor
from scanners.catalog import CATALOG
from tests.scans.conftest import example_finding, only_queued, only_scan, scan_events, text_of

DMARC = example_finding("email.dmarc.missing", "acme.example")
HSTS = example_finding("web.hsts.missing", "https://acme.example/",
                       "no Strict-Transport-Security header")
CAA = example_finding("dns.caa.missing", "acme.example", "no CAA record at acme.example")


@pytest.fixture
def acme(make_vendor: Callable[..., Vendor]) -> Vendor:
    return make_vendor("Acme Mail", primary_domain="acme.example")


def page_of(client: FlaskClient, vendor: Vendor) -> str:
    response = client.get(f"/vendors/{vendor.id}")
    assert response.status_code == 200
    return html.unescape(response.text)


def section(page: str, element_id: str) -> str:
    """Return the HTML from the element with ``element_id`` to the end of its section."""
    start = page.index(f'id="{element_id}"')
    return page[start:page.index("</section>", start)]


def test_an_unscanned_vendor_says_so_and_offers_a_scan(acme: Vendor, officer: FlaskClient) -> None:
    scans = section(page_of(officer, acme), "scans")

    assert "Not scanned yet" in scans
    assert f'action="/vendors/{acme.id}/scans/"' in scans
    assert ">Scan now</button>" in scans


def test_scan_now_queues_a_scan_of_every_domain_and_audits_who_asked(
    make_vendor: Callable[..., Vendor], officer: FlaskClient,
) -> None:
    vendor = make_vendor("Acme Mail", primary_domain="acme.example",
                         extra_domains=["mx.acme.example"])

    response = officer.post(f"/vendors/{vendor.id}/scans/", follow_redirects=True)

    scan = only_scan()
    assert (scan.status, scan.domains) == (ScanStatus.QUEUED, ["acme.example",
                                                               "mx.acme.example"])
    assert scan.requested_by_id == officer.user.id
    assert "Scan queued." in response.text
    [event] = scan_events("scan.")
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "scan.requested", officer.user.id, "vendor", str(vendor.id))
    assert event.changes["domains"]["after"] == ["acme.example", "mx.acme.example"]


def test_a_second_scan_is_refused_while_one_is_queued(
    acme: Vendor, officer: FlaskClient,
) -> None:
    officer.post(f"/vendors/{acme.id}/scans/")

    response = officer.post(f"/vendors/{acme.id}/scans/", follow_redirects=True)

    assert "A scan of Acme Mail is already queued" in response.text
    assert only_scan().status == ScanStatus.QUEUED


def test_a_queue_that_cannot_be_reached_fails_the_scan_visibly(
    acme: Vendor, officer: FlaskClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreachable(queue: ScanQueue, scan_id: int) -> None:
        raise redis.ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(ScanQueue, "submit", unreachable)

    response = officer.post(f"/vendors/{acme.id}/scans/", follow_redirects=True)

    scan = only_scan()
    assert scan.status == ScanStatus.FAILED
    assert scan.error == ("Could not be queued: ConnectionError: Error 111 connecting to "
                          "redis:6379. Connection refused.")
    assert "The scan could not be queued" in response.text
    assert scan.error in html.unescape(response.text)


def test_the_latest_scan_shows_severity_evidence_and_remediation(
    acme: Vendor, officer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    stored_scan(acme, DMARC)
    latest = stored_scan(acme, DMARC, HSTS)

    scans = section(page_of(officer, acme), "scans")

    assert f"Latest scan <a href=\"/vendors/{acme.id}/scans/{latest.id}\">#{latest.id}</a>" in scans
    assert "2 findings: 2 medium" in scans
    for found in (DMARC, HSTS):
        assert found.title in scans
        assert found.evidence in scans
        assert found.remediation in scans
    assert '<span class="badge sev-medium">Medium</span>' in scans
    assert "1 new, 0 resolved, 1 unchanged" in scans


def test_findings_of_the_last_finished_scan_stay_while_a_new_one_runs(
    acme: Vendor, officer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    stored_scan(acme, DMARC)
    officer.post(f"/vendors/{acme.id}/scans/")

    scans = section(page_of(officer, acme), "scans")

    assert "waiting for the scan worker" in scans
    assert DMARC.evidence in scans


def test_the_history_lists_every_scan_newest_first(
    acme: Vendor, officer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    first = stored_scan(acme, DMARC)
    second = stored_scan(acme)
    officer.post(f"/vendors/{acme.id}/scans/")

    history = page_of(officer, acme).split("Scan history", 1)[1]

    links = [f'/scans/{scan_id}">#{scan_id}</a>' for scan_id in (only_queued().id, second.id,
                                                                   first.id)]
    positions = [history.index(link) for link in links]
    assert positions == sorted(positions)
    assert "no findings" in history
    assert "1 finding: 1 medium" in history


def test_a_scans_page_shows_its_findings_and_what_it_could_not_check(
    acme: Vendor, viewer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    scan = stored_scan(acme, CAA, errors=("MTA-STS policy not checked: timed out",))

    response = viewer.get(f"/vendors/{acme.id}/scans/{scan.id}")

    page = html.unescape(response.text)
    assert response.status_code == 200
    assert f"Scan #{scan.id} of Acme Mail" in page
    assert "acme.example: MTA-STS policy not checked: timed out" in text_of(page)
    assert CAA.evidence in page
    assert CATALOG["dns.caa.missing"].remediation in page


def test_another_vendors_scan_is_not_found_under_this_vendor(
    acme: Vendor, make_vendor: Callable[..., Vendor], viewer: FlaskClient,
    stored_scan: Callable[..., Scan],
) -> None:
    other = make_vendor("Other")
    scan = stored_scan(other, DMARC)

    assert viewer.get(f"/vendors/{acme.id}/scans/{scan.id}").status_code == 404
    assert viewer.get(f"/vendors/{other.id}/scans/{scan.id}").status_code == 200


def test_compare_shows_new_resolved_and_unchanged_findings(
    acme: Vendor, viewer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    old = stored_scan(acme, DMARC, CAA)
    new = stored_scan(acme, DMARC, HSTS)

    response = viewer.get(f"/vendors/{acme.id}/scans/compare?old={old.id}&new={new.id}")

    page = html.unescape(response.text)
    assert response.status_code == 200
    assert "New (1)" in section(page, "new-findings")
    assert HSTS.title in section(page, "new-findings")
    assert "Resolved (1)" in section(page, "resolved-findings")
    assert CAA.title in section(page, "resolved-findings")
    assert "Unchanged (1)" in section(page, "unchanged-findings")
    assert DMARC.title in section(page, "unchanged-findings")


def test_compare_defaults_to_the_two_latest_finished_scans(
    acme: Vendor, viewer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    stored_scan(acme, DMARC)
    old = stored_scan(acme, CAA)
    new = stored_scan(acme, HSTS)

    page = viewer.get(f"/vendors/{acme.id}/scans/compare").text

    assert f'<option value="{old.id}" selected>' in page
    assert f'<option value="{new.id}" selected>' in page
    assert CAA.title in section(html.unescape(page), "resolved-findings")


def test_compare_refuses_a_scan_that_did_not_finish(
    acme: Vendor, officer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    done = stored_scan(acme, DMARC)
    officer.post(f"/vendors/{acme.id}/scans/")
    queued = only_queued()

    response = officer.get(f"/vendors/{acme.id}/scans/compare?old={done.id}&new={queued.id}")

    assert response.status_code == 404
