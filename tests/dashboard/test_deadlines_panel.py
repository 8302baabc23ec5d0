"""The dashboard's deadlines panel (what is overdue, and the next five due) and its count of the
PHI vendors' BAAs by standing, as a signed-in user reads them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements import services as agreements
from riskapp.agreements.models import BaaStatus, Decision
from riskapp.agreements.services import AgreementFields
from riskapp.database import db
from riskapp.vendors import services as vendors
from riskapp.vendors.models import Vendor
from tests.dashboard.conftest import TODAY, days_ago
from tests.dashboard.pages import panel, panel_text, rows, table
from tests.dashboard.test_query_count import statements_run


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.OFFICER)


@pytest.fixture
def viewer(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.VIEWER)


def record(vendor: Vendor, officer: User, **fields: Any) -> None:
    agreements.save_agreement(vendor, AgreementFields(**fields), actor=officer)
    db.session.commit()


def in_days(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


def dashboard(client: FlaskClient) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.text


# --- deadlines -------------------------------------------------------------------------------


def test_the_panel_counts_what_is_overdue_and_lists_the_next_five(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    for days in (3, 10):
        record(make_vendor(f"Ended {days} days ago"), officer, contract_ends_on=days_ago(days))
    renewing = {days: make_vendor(f"Renews in {days} days") for days in range(1, 8)}
    for days, vendor in renewing.items():
        record(vendor, officer, contract_renews_on=in_days(days))
    record(make_vendor("Renews next year"), officer, contract_renews_on=in_days(200))

    page = dashboard(viewer)

    text = panel_text(page, "deadlines")
    assert "2 overdue 7 due in the next 90 days; the next 5:" in text
    listed = rows(page, "deadlines")
    assert [row.cells for row in listed] == [
        [in_days(days).isoformat(), "in 1 day" if days == 1 else f"in {days} days",
         "Contract renews", f"Renews in {days} days"] for days in range(1, 6)]
    assert [row.links[:1] for row in listed] == [
        [f"/vendors/{renewing[days].id}/agreement"] for days in range(1, 6)]
    assert 'href="/deadlines"' in panel(page, "deadlines")


def test_a_deadline_due_today_is_upcoming_and_says_today(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor("Acme Mail")
    agreements.decide(vendor, Decision.CONDITIONAL, "Pen test report to follow",
                      actor=officer, conditions_due_on=TODAY)
    db.session.commit()

    page = dashboard(viewer)

    assert "0 overdue 1 due in the next 90 days" in panel_text(page, "deadlines")
    assert rows(page, "deadlines")[0].cells == [
        TODAY.isoformat(), "today", "Conditions of approval due", "Acme Mail"]


def test_nothing_due_is_said_so(viewer: FlaskClient) -> None:
    text = panel_text(dashboard(viewer), "deadlines")

    assert "0 overdue 0 due in the next 90 days" in text
    assert "Nothing falls due in the next 90 days." in text


def test_vendor_names_in_the_panel_are_escaped(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    record(make_vendor("<script>alert(1)</script> & Co"), officer,
           contract_renews_on=in_days(5))

    page = dashboard(viewer)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in panel(page, "deadlines")
    assert rows(page, "deadlines")[0].cells[3] == "<script>alert(1)</script> & Co"


# --- BAAs of the PHI vendors -----------------------------------------------------------------


def test_phi_vendors_are_counted_by_the_standing_of_their_baa(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    signed = {"baa_status": BaaStatus.SIGNED.value, "baa_effective_on": days_ago(100)}
    record(make_vendor(stores_phi=True), officer, **signed, baa_expires_on=in_days(100))
    record(make_vendor(stores_phi=True), officer, **signed, baa_expires_on=days_ago(1))
    make_vendor(processes_phi=True)  # no BAA recorded at all
    record(make_vendor(transmits_phi=True), officer, baa_status=BaaStatus.REFUSED.value)
    record(make_vendor(stores_phi=True), officer, baa_status=BaaStatus.REQUESTED.value)
    record(make_vendor(stores_phi=True), officer, baa_required=False,
           baa_status=BaaStatus.NOT_REQUIRED.value)
    record(make_vendor(), officer, **signed)  # no PHI: not counted
    make_vendor()

    page = dashboard(viewer)

    assert panel_text(page, "phi").startswith("6 store, process or transmit PHI")
    assert table(page, "phi") == {
        "BAA in force": ["1"], "BAA missing or lapsed": ["3"], "BAA on its way": ["1"],
        "BAA recorded as not required": ["1"]}


def test_with_no_phi_vendor_every_baa_count_is_zero(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor()

    assert table(dashboard(viewer), "phi") == {"BAA in force": ["0"],
                                               "BAA missing or lapsed": ["0"]}


def test_archived_vendors_leave_the_baa_counts_and_deadlines(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    archived = make_vendor(stores_phi=True)
    record(archived, officer, contract_renews_on=in_days(5))
    vendors.set_archived(archived, True, actor=officer)
    db.session.commit()

    page = dashboard(viewer)

    assert table(page, "phi")["BAA missing or lapsed"] == ["0"]
    assert "0 due in the next 90 days" in panel_text(page, "deadlines")


# --- the cost --------------------------------------------------------------------------------


def test_the_panels_run_as_many_queries_for_30_vendors_with_baas_as_for_3(
    viewer: FlaskClient, make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    def add(count: int) -> None:
        for n in range(count):
            vendor = make_vendor(stores_phi=True)
            record(vendor, officer, baa_status=BaaStatus.SIGNED.value,
                   baa_effective_on=days_ago(10), baa_expires_on=in_days(20 + n),
                   contract_renews_on=in_days(40 + n))
            agreements.decide(vendor, Decision.CONDITIONAL, "Report to follow",
                              actor=officer, conditions_due_on=days_ago(1 + n))
        db.session.commit()

    viewer.get("/vendors/")  # the first request may open connections; count from the second
    add(3)
    with statements_run() as few:  # the data changed: the dashboard is counted afresh
        small = dashboard(viewer)
    add(27)
    with statements_run() as many:
        large = dashboard(viewer)

    assert "3 overdue 6 due in the next 90 days" in panel_text(small, "deadlines")
    assert "30 overdue 60 due in the next 90 days" in panel_text(large, "deadlines")
    assert table(large, "phi")["BAA in force"] == ["30"]
    assert len(many) == len(few), "\n\n".join(many)
