"""An officer may accept the risk of a finding, with a reason: audited, and carried to the same
finding in the vendor's later scans until someone withdraws it."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from riskapp.audit.services import verify_chain
from riskapp.database import db
from riskapp.scans.models import FindingAcceptance, Scan
from riskapp.vendors.models import Vendor
from tests.scans.conftest import example_finding, scan_events, text_of

CAA = example_finding("dns.caa.missing", "acme.example", "no CAA record at acme.example")
DMARC = example_finding("email.dmarc.missing", "acme.example")
REASON = "Marketing site only; the host manages certificates. Reviewed with the CISO."


@pytest.fixture
def acme(make_vendor: Callable[..., Vendor]) -> Vendor:
    return make_vendor("Acme Mail", primary_domain="acme.example")


def finding_of(scan: Scan, finding_id: str) -> int:
    return next(f.id for f in scan.findings if f.finding_id == finding_id)


def accept(client: FlaskClient, vendor: Vendor, scan: Scan, finding_id: str,
           reason: str = REASON) -> str:
    response = client.post(
        f"/vendors/{vendor.id}/scans/findings/{finding_of(scan, finding_id)}/accept",
        data={"reason": reason}, follow_redirects=True)
    assert response.status_code == 200
    return html.unescape(response.text)


def acceptances() -> list[FindingAcceptance]:
    db.session.expire_all()
    return list(db.session.scalars(select(FindingAcceptance)))


def finding_block(page: str, finding_id: str) -> str:
    """The text of the finding's entry on the page."""
    code = f"<code>{finding_id}</code>"
    start = page.rindex('<li class="finding', 0, page.index(code))
    return text_of(page[start:page.index("</li>", start)])


def test_accepting_a_risk_keeps_the_reason_and_who_accepted_it(
    acme: Vendor, officer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    scan = stored_scan(acme, CAA, DMARC)

    page = accept(officer, acme, scan, "dns.caa.missing")

    [acceptance] = acceptances()
    assert (acceptance.vendor_id, acceptance.finding_id, acceptance.target) == (
        acme.id, "dns.caa.missing", "acme.example")
    assert (acceptance.reason, acceptance.accepted_by_id) == (REASON, officer.user.id)
    assert "Accepted the risk of 'No CAA record' on acme.example." in page
    block = finding_block(page, "dns.caa.missing")
    assert "Accepted risk by officer" in block
    assert REASON in block
    assert "Accept this risk" in finding_block(page, "email.dmarc.missing")


def test_accepting_a_risk_is_audited(
    acme: Vendor, officer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    scan = stored_scan(acme, CAA)

    accept(officer, acme, scan, "dns.caa.missing")

    [event] = scan_events("finding.")
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "finding.risk_accepted", officer.user.id, "vendor", str(acme.id))
    assert event.summary == "Accepted the risk of 'No CAA record' on acme.example"
    assert event.changes["reason"] == {"before": None, "after": REASON}
    assert event.changes["finding"] == {"before": None, "after": "dns.caa.missing"}
    assert verify_chain().intact


def test_an_accepted_risk_holds_for_the_same_finding_in_later_scans(
    acme: Vendor, officer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    accept(officer, acme, stored_scan(acme, CAA), "dns.caa.missing")

    stored_scan(acme, CAA, DMARC)
    page = html.unescape(officer.get(f"/vendors/{acme.id}").text)

    assert "Accepted risk by officer" in finding_block(page, "dns.caa.missing")
    assert REASON in finding_block(page, "dns.caa.missing")
    assert "Accepted risk" not in finding_block(page, "email.dmarc.missing")


def test_an_accepted_risk_is_the_vendors_own(
    acme: Vendor, make_vendor: Callable[..., Vendor], officer: FlaskClient,
    stored_scan: Callable[..., Scan],
) -> None:
    other = make_vendor("Other Mail", primary_domain="acme.example")  # say, a reseller
    accept(officer, acme, stored_scan(acme, CAA), "dns.caa.missing")

    stored_scan(other, CAA)
    page = html.unescape(officer.get(f"/vendors/{other.id}").text)

    assert "Accepted risk" not in finding_block(page, "dns.caa.missing")


def test_a_risk_is_not_accepted_without_a_reason(
    acme: Vendor, officer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    scan = stored_scan(acme, CAA)

    page = accept(officer, acme, scan, "dns.caa.missing", reason="   ")

    assert "Say why the risk is accepted." in page
    assert acceptances() == []
    assert scan_events("finding.") == []


def test_a_risk_is_accepted_once(
    acme: Vendor, officer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    scan = stored_scan(acme, CAA)
    accept(officer, acme, scan, "dns.caa.missing")

    page = accept(officer, acme, scan, "dns.caa.missing", reason="again")

    assert "is already accepted" in page
    assert [a.reason for a in acceptances()] == [REASON]


def test_withdrawing_an_accepted_risk_opens_the_finding_again_and_is_audited(
    acme: Vendor, officer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    scan = stored_scan(acme, CAA)
    accept(officer, acme, scan, "dns.caa.missing")
    [acceptance] = acceptances()

    response = officer.post(f"/vendors/{acme.id}/scans/acceptances/{acceptance.id}/withdraw",
                            follow_redirects=True)

    page = html.unescape(response.text)
    assert acceptances() == []
    assert "Withdrew the accepted risk of 'No CAA record' on acme.example." in page
    assert "Accept this risk" in finding_block(page, "dns.caa.missing")
    withdrawn = scan_events("finding.")[-1]
    assert (withdrawn.action, withdrawn.actor_id) == ("finding.acceptance_withdrawn",
                                                      officer.user.id)
    assert withdrawn.changes["reason"] == {"before": REASON, "after": None}


def test_another_vendors_finding_cannot_be_accepted_through_this_vendor(
    acme: Vendor, make_vendor: Callable[..., Vendor], officer: FlaskClient,
    stored_scan: Callable[..., Scan],
) -> None:
    other = make_vendor("Other Mail")
    scan = stored_scan(other, CAA)

    response = officer.post(
        f"/vendors/{acme.id}/scans/findings/{finding_of(scan, 'dns.caa.missing')}/accept",
        data={"reason": REASON})

    assert response.status_code == 404
    assert acceptances() == []
