"""The vendor page shows the current score with every point of it; officers may rescore."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from riskapp.access import Role
from riskapp.database import db
from riskapp.scans.models import Scan
from riskapp.scoring import services
from riskapp.vendors.models import Vendor
from tests.conftest import csrf_token_from


def test_the_vendor_page_shows_the_score_and_its_explanation(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor],
    scanned: Callable[..., Scan],
) -> None:
    vendor = make_vendor(stores_phi=True)
    scanned(vendor, ("high", "No DMARC policy"))
    services.score_vendor(vendor, actor=None, reason="test")
    db.session.commit()

    page = login_as(Role.VIEWER).get(f"/vendors/{vendor.id}").text

    assert 'id="score"' in page
    assert "scoring profile default 1.0.0" in page
    assert "PHI access: stores" in page
    assert "No DMARC policy" in page
    assert "Not assessed: no completed assessment" in page
    assert "Rescore" not in page  # viewers may not rescore


def test_a_vendor_never_scored_says_so(login_as: Callable[..., FlaskClient],
                                       make_vendor: Callable[..., Vendor]) -> None:
    page = login_as(Role.OFFICER).get(f"/vendors/{make_vendor().id}").text
    assert "Not scored yet" in page


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN])
def test_an_officer_rescores_from_the_vendor_page(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor], role: Role,
) -> None:
    vendor = make_vendor()
    client = login_as(role)
    page = client.get(f"/vendors/{vendor.id}").text

    response = client.post(f"/vendors/{vendor.id}/score/rescore",
                           data={"csrf_token": csrf_token_from(page)}, follow_redirects=True)

    assert response.status_code == 200
    assert "Rescored " in response.text
    row = services.latest_score(vendor)
    assert row is not None
    assert row.reason == "rescored by an officer"
    assert row.computed_by_id is not None


def test_a_viewer_cannot_rescore(login_as: Callable[..., FlaskClient],
                                 make_vendor: Callable[..., Vendor]) -> None:
    vendor = make_vendor()
    response = login_as(Role.VIEWER).post(f"/vendors/{vendor.id}/score/rescore")
    assert response.status_code == 403
    assert services.latest_score(vendor) is None
