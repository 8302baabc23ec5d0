"""The dashboard: the inventory by category and risk tier, assessments by status, what is
overdue, the alarming findings and the latest work, as a signed-in user reads them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.assessments.models import Assessment, Status
from riskapp.database import db, utcnow
from riskapp.scans import services as scans
from riskapp.scans.models import Scan, ScanStatus
from riskapp.scoring.models import VendorScore
from riskapp.vendors import services as vendors
from riskapp.vendors.models import Category, Criticality, Vendor, VendorStatus
from scanners.findings import Severity
from tests.dashboard.conftest import TODAY, days_ago
from tests.dashboard.pages import panel_text, rows, table

TIERS = ["Critical", "High", "Moderate", "Low", "Not scored", "Total"]


@pytest.fixture
def officer(login_as: Callable[..., FlaskClient]) -> FlaskClient:
    return login_as(Role.OFFICER)


def dashboard(client: FlaskClient) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.text


def tier_rows(page: str) -> dict[str, list[int]]:
    """{category: counts by tier, then the total}, the footer as "All categories"."""
    return {row.cells[0]: [int(cell) for cell in row.cells[1:]]
            for row in rows(page, "tiers") + rows(page, "tiers", "tfoot")}


# --- vendors by category and risk tier ---------------------------------------------------


def test_the_tier_table_heads_its_columns_with_the_tiers(officer: FlaskClient) -> None:
    assert rows(dashboard(officer), "tiers", "thead")[0].cells == ["Category", *TIERS]


def test_vendors_are_counted_by_category_and_tier_of_their_latest_score(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
    make_score: Callable[..., VendorScore], make_assessment: Callable[..., Assessment],
) -> None:
    make_score(make_vendor(category=Category.EMAIL), "high")
    make_score(make_vendor(category=Category.EMAIL), "moderate")
    make_score(make_vendor(category=Category.EMAIL), "low")
    make_vendor(category=Category.EMAIL)
    make_score(make_vendor(category=Category.HOSTING), "critical")
    make_assessment(make_vendor(category=Category.HOSTING), Status.COMPLETED, score=90)
    rescored = make_vendor(category=Category.MARKETING)
    make_score(rescored, "critical", computed_at=utcnow() - dt.timedelta(days=400))
    make_score(rescored, "low")

    assert tier_rows(dashboard(officer)) == {
        #                 crit high mod low none total
        "Email":          [0, 1, 1, 1, 1, 4],
        "Hosting":        [1, 0, 0, 0, 1, 2],
        "Marketing":      [0, 0, 0, 1, 0, 1],
        "Other":          [0, 0, 0, 0, 0, 0],
        "All categories": [1, 1, 1, 2, 2, 7],
    }


def test_the_page_says_where_the_tiers_come_from(officer: FlaskClient) -> None:
    assert ("Risk tier from each vendor's latest stored risk score, rated by the scoring "
            "profile it was computed with") in panel_text(dashboard(officer), "tiers")


def test_archived_vendors_leave_the_counts(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
    make_assessment: Callable[..., Assessment], make_user: Callable[..., User],
    make_score: Callable[..., VendorScore],
) -> None:
    make_vendor()
    archived = make_vendor()
    make_score(archived, "high")
    make_assessment(archived, Status.SENT, due_date=days_ago(5))
    vendors.set_archived(archived, True, actor=make_user(Role.OFFICER))
    db.session.commit()

    page = dashboard(officer)

    assert tier_rows(page)["All categories"] == [0, 0, 0, 0, 1, 1]
    assert "1 vendor in the inventory" in panel_text(page, "total")
    assert table(page, "assessment-status")["Completed"] == ["0"]
    assert "0 assessments overdue" in panel_text(page, "overdue-total")


# --- assessments by status and overdue ---------------------------------------------------


def test_assessments_are_counted_by_status(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
    make_assessment: Callable[..., Assessment],
) -> None:
    vendor = make_vendor()
    for status in (Status.DRAFT, Status.SENT, Status.SENT, Status.IN_REVIEW, Status.COMPLETED):
        make_assessment(vendor, status, score=50 if status is Status.COMPLETED else None)

    assert table(dashboard(officer), "assessment-status") == {
        "Draft": ["1"], "Sent": ["2"], "In progress": ["0"], "Submitted": ["0"],
        "In review": ["1"], "Clarification requested": ["0"], "Completed": ["1"],
        "Cancelled": ["0"],
    }


def test_overdue_lists_open_assessments_past_due_longest_overdue_first(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
    make_assessment: Callable[..., Assessment],
) -> None:
    late = make_assessment(make_vendor("Late Labs"), Status.IN_PROGRESS, due_date=days_ago(3))
    later = make_assessment(make_vendor("Later Ltd"), Status.CLARIFICATION,
                            due_date=days_ago(30))
    make_assessment(make_vendor("Due Today"), Status.SENT, due_date=TODAY)
    make_assessment(make_vendor("Awaiting Review"), Status.SUBMITTED, due_date=days_ago(9))
    make_assessment(make_vendor("Done Inc"), Status.COMPLETED, score=10, due_date=days_ago(9))
    make_assessment(make_vendor("Stopped Co"), Status.CANCELLED, due_date=days_ago(9))

    page = dashboard(officer)

    listed = rows(page, "overdue")
    assert [row.cells[:3] for row in listed] == [
        ["Later Ltd", days_ago(30).isoformat(), "30"],
        ["Late Labs", days_ago(3).isoformat(), "3"],
    ]
    assert f"/assessments/{later.id}" in listed[0].links
    assert f"/assessments/{late.id}" in listed[1].links
    assert "2 assessments overdue" in panel_text(page, "overdue-total")


def test_overdue_shows_the_ten_most_overdue_and_says_how_many_there_are(
    officer: FlaskClient, make_vendor: Callable[..., Vendor],
    make_assessment: Callable[..., Assessment],
) -> None:
    for days in range(1, 13):
        make_assessment(make_vendor(f"Vendor {days} days late"), Status.SENT,
                        due_date=days_ago(days))

    page = dashboard(officer)

    assert [row.cells[2] for row in rows(page, "overdue")] == [str(d) for d in range(12, 2, -1)]
    assert "The 10 most overdue of 12." in panel_text(page, "overdue")
    assert "12 assessments overdue" in panel_text(page, "overdue-total")


def test_nothing_overdue_is_said_so(officer: FlaskClient) -> None:
    assert "No assessment is overdue." in panel_text(dashboard(officer), "overdue")


# --- findings ------------------------------------------------------------------------------


def test_findings_list_the_high_and_critical_ones_of_each_vendors_latest_scan(
    officer: FlaskClient, make_vendor: Callable[..., Vendor], make_scan: Callable[..., Scan],
) -> None:
    now = utcnow()
    acme = make_vendor("Acme Mail")
    make_scan(acme, (Severity.HIGH, "Fixed since"), finished_at=now - dt.timedelta(days=7))
    scan = make_scan(acme, (Severity.HIGH, "No DMARC policy"), (Severity.MEDIUM, "No CAA"),
                     (Severity.CRITICAL, "Expired certificate"), (Severity.LOW, "No TLS-RPT"),
                     finished_at=now - dt.timedelta(hours=2))
    make_scan(acme, (Severity.CRITICAL, "From a failed scan"), status=ScanStatus.FAILED)
    make_scan(make_vendor("Beta Host"), (Severity.HIGH, "Plain HTTP site"),
              finished_at=now - dt.timedelta(hours=1))

    listed = rows(dashboard(officer), "findings")

    assert [row.cells[:3] for row in listed] == [
        ["Beta Host", "Plain HTTP site vendor2.example", "high"],
        ["Acme Mail", "Expired certificate vendor1.example", "critical"],
        ["Acme Mail", "No DMARC policy vendor1.example", "high"],
    ]
    assert listed[1].cells[3] == (now - dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    assert f"/vendors/{acme.id}/scans/{scan.id}" in listed[1].links


def test_findings_whose_risk_was_accepted_are_left_out(
    officer: FlaskClient, make_vendor: Callable[..., Vendor], make_scan: Callable[..., Scan],
) -> None:
    scan = make_scan(make_vendor("Acme Mail"), (Severity.CRITICAL, "Expired certificate"),
                     (Severity.HIGH, "No DMARC policy"))
    expired = next(f for f in scan.findings if f.title == "Expired certificate")
    scans.accept_risk(expired, "Internal test host; reviewed.", actor=None)

    listed = rows(dashboard(officer), "findings")

    assert [row.cells[1] for row in listed] == ["No DMARC policy vendor1.example"]


def test_findings_stop_at_ten(
    officer: FlaskClient, make_vendor: Callable[..., Vendor], make_scan: Callable[..., Scan],
) -> None:
    make_scan(make_vendor(), *((Severity.HIGH, f"Problem {n}") for n in range(12)))

    assert len(rows(dashboard(officer), "findings")) == 10


# --- recent activity -----------------------------------------------------------------------


def test_recent_activity_shows_the_latest_work_with_who_did_it(
    login_as: Callable[..., FlaskClient], make_user: Callable[..., User],
) -> None:
    officer = make_user(Role.OFFICER, email="olive@hospital.example")
    for number in range(1, 13):
        vendors.create_vendor(vendors.VendorFields(
            name=f"Vendor {number}", primary_domain=f"vendor{number}.example",
            category=Category.EMAIL, criticality=Criticality.LOW, status=VendorStatus.ACTIVE),
            actor=officer)
        db.session.commit()
    client = login_as(Role.VIEWER)

    listed = rows(dashboard(client), "activity")

    assert [row.cells[1:] for row in listed] == [
        ["olive@hospital.example", "vendor.created", f"Added vendor Vendor {number}"]
        for number in range(12, 2, -1)
    ]


def test_recent_activity_leaves_sign_ins_and_accounts_to_the_audit_log(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor],
) -> None:
    make_vendor("Acme Mail")
    client = login_as(Role.VIEWER)  # a sign-in, audited after the vendor was added

    text = panel_text(dashboard(client), "activity")

    assert "Added vendor Acme Mail" in text
    assert "auth.login" not in text
    assert "Signed in" not in text


# --- who sees it ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_dashboard(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor], role: Role,
) -> None:
    make_vendor("Acme Mail")

    page = dashboard(login_as(role))

    assert "1 vendor in the inventory" in panel_text(page, "total")
    assert "Added vendor Acme Mail" in panel_text(page, "activity")


@pytest.mark.parametrize(("role", "shown"), [
    (Role.ADMIN, True), (Role.OFFICER, False), (Role.VIEWER, False),
])
def test_only_administrators_are_offered_the_full_audit_log(
    login_as: Callable[..., FlaskClient], role: Role, shown: bool,
) -> None:
    assert ("Full audit log" in panel_text(dashboard(login_as(role)), "activity")) is shown


def test_an_empty_inventory_says_there_is_nothing_yet(officer: FlaskClient) -> None:
    page = dashboard(officer)

    assert "0 vendors in the inventory" in panel_text(page, "total")
    assert tier_rows(page)["All categories"] == [0, 0, 0, 0, 0, 0]
    assert "No open high or critical finding" in panel_text(page, "findings")
