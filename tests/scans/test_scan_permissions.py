"""Viewers read scans; only officers and administrators scan or accept risks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from riskapp.access import Role
from riskapp.scans.models import Scan
from riskapp.vendors.models import Vendor
from tests.scans.conftest import example_finding

CAA = example_finding("dns.caa.missing", "acme.example", "no CAA record at acme.example")


@pytest.fixture
def acme(make_vendor: Callable[..., Vendor]) -> Vendor:
    return make_vendor("Acme Mail", primary_domain="acme.example")


def test_a_viewer_sees_the_findings_but_no_scan_or_accept_buttons(
    acme: Vendor, viewer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    stored_scan(acme, CAA)

    page = viewer.get(f"/vendors/{acme.id}").text

    assert CAA.title in page
    assert "Scan now" not in page
    assert "Accept this risk" not in page


def test_a_viewer_cannot_scan_accept_or_withdraw(
    acme: Vendor, viewer: FlaskClient, officer: FlaskClient, stored_scan: Callable[..., Scan],
) -> None:
    scan = stored_scan(acme, CAA)
    finding_id = scan.findings[0].id
    officer.post(f"/vendors/{acme.id}/scans/findings/{finding_id}/accept",
                 data={"reason": "fine"})

    answers = [
        viewer.post(f"/vendors/{acme.id}/scans/").status_code,
        viewer.post(f"/vendors/{acme.id}/scans/findings/{finding_id}/accept",
                    data={"reason": "fine"}).status_code,
        viewer.post(f"/vendors/{acme.id}/scans/acceptances/1/withdraw").status_code,
    ]

    assert answers == [403, 403, 403]
    page = viewer.get(f"/vendors/{acme.id}").text
    assert "Accepted risk" in page
    assert "Withdraw" not in page


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN])
def test_officers_and_administrators_may_scan_and_accept(
    role: Role, acme: Vendor, login_as: Callable[..., FlaskClient],
    stored_scan: Callable[..., Scan],
) -> None:
    stored_scan(acme, CAA)

    page = login_as(role).get(f"/vendors/{acme.id}").text

    assert "Scan now" in page
    assert "Accept this risk" in page
