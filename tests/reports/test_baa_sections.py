"""The BAA in the reports: the vendor report's BAA section (status, term, breach window, signed
document, clause checklist, coverage gaps, decision and dates) in the PDF and the page, and the
portfolio's PHI list, deadlines and exports; vendor text printed literally everywhere."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.agreements import services as agreements
from riskapp.agreements.models import BaaDocument, BaaStatus, ClauseVerdict, Decision
from riskapp.agreements.services import AgreementFields
from riskapp.database import db
from riskapp.reports.portfolio import portfolio
from riskapp.reports.portfolio_export import portfolio_csv, portfolio_xlsx
from riskapp.reports.portfolio_report import portfolio_pdf
from riskapp.reports.services import VendorReport, vendor_report
from riskapp.reports.vendor_report import vendor_pdf
from riskapp.vendors.models import Vendor
from tests.agreements.documents import COMPLETE_BAA, baa_pdf, scanned_pdf
from tests.dashboard.pages import panel_text
from tests.queries import statements_run
from tests.reports.conftest import flat, pdf_text

NOW = dt.datetime(2025, 5, 20, 9, 30, tzinfo=dt.UTC)
DAY = NOW.date()
MARKUP = "<b>Bold</b> <script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.OFFICER, name="Olivia Officer")


def record(vendor: Vendor, officer: User, **fields: Any) -> None:
    agreements.save_agreement(vendor, AgreementFields(**fields), actor=officer)
    db.session.commit()


def signed(effective: date, expires: date | None, **fields: Any) -> dict[str, Any]:
    return {"baa_status": BaaStatus.SIGNED.value, "baa_effective_on": effective,
            "baa_expires_on": expires} | fields


def upload(vendor: Vendor, officer: User, sections: list[tuple[str, list[str]]], *,
           content: bytes | None = None, filename: str = "Signed BAA.pdf") -> BaaDocument:
    document = agreements.store_document(vendor, FileStorage(
        stream=io.BytesIO(content or baa_pdf(sections)), filename=filename,
        content_type="application/pdf"), actor=officer)
    db.session.commit()
    return document


def report_of(vendor: Vendor, now: dt.datetime = NOW) -> VendorReport:
    return vendor_report(vendor, now=now)


def baa_text(report: VendorReport) -> str:
    """The BAA section of the report's PDF, as one line of text."""
    text = flat(pdf_text(vendor_pdf(report)))
    start = text.index("Business Associate Agreement Status")
    return text[start:text.index("Domain scan findings", start)]


def remediations(report: VendorReport) -> list[tuple[str, str]]:
    return [(r.severity, r.title) for r in report.remediations if r.source.startswith("BAA")]


def between(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin:text.index(end, begin)]


# --- the vendor report: status, term and breach window ---------------------------------------


def test_a_signed_baa_shows_its_term_renewal_signatories_and_breach_window(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor("Acme Mail", stores_phi=True, services="Exchange Online")
    record(vendor, officer, **signed(
        date(2025, 1, 1), date(2026, 1, 1), baa_auto_renews=True, baa_notice_days=60,
        breach_notice_days=30, signed_by_vendor="Vera Vendor, CEO",
        signed_by_us="Priya Privacy", covered_services="Exchange Online",
        covered_regions="United States"))

    report = report_of(vendor)
    text = baa_text(report)

    assert "Status Signed" in text
    assert "Required Yes: the vendor stores PHI, so a BAA must be in force" in text
    assert "Term Effective from 2025-01-01; the current term ends 2026-01-01" in text
    assert "Renewal Renews automatically; to stop it, give 60 days' notice by 2025-11-02" in text
    assert "Signed by Vera Vendor, CEO for the vendor; Priya Privacy for us" in text
    assert "Covers Services: Exchange Online; regions: United States." in text
    assert ("The vendor must report a breach within 30 days of discovery, as the BAA "
            "requires. For one discovered on 2025-05-20, by 2025-06-19.") in text
    assert "Signed document None uploaded" in text
    assert "Decision No decision yet" in text
    assert "2025-11-02 Last day to give notice on the BAA in 166 days" in text
    assert "2026-01-01 BAA term ends in 226 days" in text
    assert report.baa.tone == "low"
    assert remediations(report) == []


def test_a_baa_that_sets_no_window_gets_the_60_day_legal_maximum(
    make_vendor: Callable[..., Vendor],
) -> None:
    text = baa_text(report_of(make_vendor(processes_phi=True, transmits_phi=True)))

    assert ("The BAA sets no window, so the legal maximum applies: the vendor must report a "
            "breach within 60 days of discovery (45 CFR 164.410). For one discovered on "
            "2025-05-20, by 2025-07-19.") in text


def test_a_baa_allowing_more_than_60_days_is_held_to_the_legal_limit(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor(stores_phi=True)
    record(vendor, officer, **signed(date(2025, 1, 1), date(2026, 1, 1),
                                     breach_notice_days=90))

    assert ("The BAA allows 90 days, but the law's limit applies: the vendor must report a "
            "breach within 60 days of discovery (45 CFR 164.410). For one discovered on "
            "2025-05-20, by 2025-07-19.") in baa_text(report_of(vendor))


def test_a_phi_vendor_without_a_baa_is_missing_and_critical(
    make_vendor: Callable[..., Vendor],
) -> None:
    report = report_of(make_vendor(stores_phi=True))
    text = baa_text(report)

    assert "Status Required but missing" in text
    assert "Signed document None uploaded" in text
    assert "No clause has been checked" in text
    assert report.baa.tone == "critical"
    assert remediations(report) == [("critical", "No BAA in force: required but missing")]
    assert report.remediations[0].title == "No BAA in force: required but missing"
    assert "Get a BAA signed before any PHI flows" in flat(pdf_text(vendor_pdf(report)))


def test_an_expired_baa_is_shown_expired_and_remediated_first(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor(stores_phi=True)
    record(vendor, officer, **signed(date(2024, 1, 1), date(2025, 1, 1)))

    report = report_of(vendor)
    text = baa_text(report)

    assert "Status Expired (signed, but it expired on 2025-01-01)" in text
    assert "Term Effective from 2024-01-01; expired 2025-01-01" in text
    assert "Renewal Does not renew automatically" in text
    assert report.remediations[0].severity == "critical"
    assert report.remediations[0].title == ("No BAA in force: signed, but it expired on "
                                            "2025-01-01")
    assert report.remediations[0].action.startswith("Renew the BAA")
    assert "No BAA in force: signed, but it expired on 2025-01-01" in flat(
        pdf_text(vendor_pdf(report)))


def test_a_vendor_without_phi_needs_no_baa(make_vendor: Callable[..., Vendor]) -> None:
    report = report_of(make_vendor())

    assert "Status Not required" in baa_text(report)
    assert "Required No: the vendor does not handle PHI" in baa_text(report)
    assert remediations(report) == []


def test_the_officer_may_record_that_a_phi_vendor_needs_no_baa_and_say_why(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor(transmits_phi=True)
    record(vendor, officer, baa_required=False, baa_status=BaaStatus.NOT_REQUIRED.value,
           notes="A conduit: it only carries encrypted traffic.")

    report = report_of(vendor)

    assert ("Required No, as the officer recorded, although the vendor transmits PHI. Notes: "
            "A conduit: it only carries encrypted traffic.") in baa_text(report)
    assert remediations(report) == []


# --- the signed document, its clauses and what it does not cover -----------------------------


def test_the_clause_checklist_lists_each_provision_with_its_sentence_and_verdict(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor(stores_phi=True)
    record(vendor, officer, **signed(date(2025, 1, 1), None))
    without_audit = [(h, p) for h, p in COMPLETE_BAA if h != "9. Audit"]
    document = upload(vendor, officer, without_audit)
    agreements.confirm_clauses(vendor, document, {
        "termination": (ClauseVerdict.ABSENT, "Only for convenience, not for breach"),
        "safeguards": (ClauseVerdict.PRESENT, "")}, actor=officer)
    db.session.commit()

    report = report_of(vendor)
    text = baa_text(report)

    lines = {line.title: line for line in report.baa.clauses}
    assert len(lines) == 10
    assert (lines["Appropriate safeguards"].verdict,
            lines["Appropriate safeguards"].basis) == ("Present", "confirmed")
    assert (lines["Covered entity's right to audit"].verdict,
            lines["Covered entity's right to audit"].basis,
            lines["Covered entity's right to audit"].sentence) == (
        "Absent", "suggested by the text check", "")
    assert all(len(line.sentence) <= 160 for line in report.baa.clauses)
    assert report.baa.clauses_present == 8
    assert f"SHA-256 {document.sha256}" in text
    assert f"Signed document Signed BAA.pdf ({document.pages} pages)" in text
    assert "8 of 10 provisions present" in text
    assert "Appropriate safeguards 45 CFR 164.504(e)(2)(ii)(B)" in text
    assert "Present, confirmed" in text
    assert "appropriate administrative, physical, and technical safeguards" in text
    assert "Absent, confirmed" in text
    assert "Note: Only for convenience, not for breach" in text
    assert "Absent, suggested by the text check" in text
    assert "Not found in the text" in text
    assert remediations(report) == [
        ("high", "The BAA lacks: Termination if the business associate violates the agreement"),
        ("medium", "The BAA lacks: Covered entity's right to audit"),
    ]


def test_a_scanned_document_says_its_clauses_were_not_checked(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor(stores_phi=True)
    record(vendor, officer, **signed(date(2025, 1, 1), None))
    upload(vendor, officer, [], content=scanned_pdf(), filename="scan.pdf")

    text = baa_text(report_of(vendor))

    assert ("Signed document scan.pdf (2 pages). This PDF has no text layer (it looks "
            "scanned): the clauses must be checked by reading it.") in text
    assert "No clause has been checked" in text


def test_uses_the_baa_does_not_cover_are_findings_and_remediations(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor(stores_phi=True, services="Exchange Online\nTeams")
    record(vendor, officer, **signed(date(2025, 1, 1), None, covered_services="Exchange Online",
                                     covered_regions="United States",
                                     data_locations="Germany"))

    report = report_of(vendor)
    text = baa_text(report)

    assert "Used but not covered by the BAA" in text
    assert "Service Teams (inventory) is not covered by the BAA" in text
    assert "Data location Germany (inventory) is not covered by the BAA" in text
    assert remediations(report) == [
        ("high", "Service Teams (inventory) is not covered by the BAA"),
        ("high", "Data location Germany (inventory) is not covered by the BAA"),
    ]


# --- the decision and the dates --------------------------------------------------------------


def test_an_approval_whose_baa_has_lapsed_needs_attention(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor(stores_phi=True)
    record(vendor, officer, **signed(date(2025, 1, 1), date(2025, 6, 1)))
    agreements.decide(vendor, Decision.APPROVED_PHI, "BAA signed and reviewed", actor=officer,
                      on=DAY)
    db.session.commit()

    report = report_of(vendor, dt.datetime(2025, 7, 1, tzinfo=dt.UTC))
    text = baa_text(report)

    decided = f"{agreements.latest_decision(vendor).decided_at:%Y-%m-%d}"  # type: ignore[union-attr]
    assert f"Decision Approved for PHI on {decided}: BAA signed and reviewed" in text
    assert ("Needs attention Approved for PHI, but the BAA is now expired (signed, but it "
            "expired on 2025-06-01).") in text
    assert [f.label for f in report.baa.facts if f.alert] == ["Status", "Needs attention"]


def test_the_vendors_key_dates_are_listed_soonest_first(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor()
    record(vendor, officer, contract_starts_on=date(2024, 9, 1),
           contract_renews_on=date(2025, 9, 1), contract_notice_days=30)

    report = report_of(vendor)

    assert [(d.on, d.label, d.when) for d in report.baa.dates] == [
        (date(2025, 8, 2), "Last day to give notice on the contract", "in 74 days"),
        (date(2025, 9, 1), "Contract renews", "in 104 days"),
    ]
    assert ("Key dates Date What When 2025-08-02 Last day to give notice on the contract "
            "in 74 days 2025-09-01 Contract renews in 104 days") in baa_text(report)


# --- vendor text stays text ------------------------------------------------------------------


def vendor_with_markup(make_vendor: Callable[..., Vendor], officer: User) -> Vendor:
    """A vendor whose name, services, signatory, covered services and BAA sentence carry
    markup."""
    vendor = make_vendor(f"Acme {MARKUP}", stores_phi=True, services=f"Teams {MARKUP}")
    record(vendor, officer, **signed(date(2025, 1, 1), None,
                                     signed_by_vendor=f"Vera {MARKUP}",
                                     covered_services=f"Mail {MARKUP}"))
    escaped = MARKUP.replace("<", "&lt;").replace(">", "&gt;")  # baa_pdf reads markup
    upload(vendor, officer, [("3. Safeguards", [
        "3.1 Business Associate shall use appropriate administrative, physical, and technical "
        f"safeguards {escaped} to prevent use or disclosure of PHI other than as provided for "
        "by this Agreement."])])
    return vendor


def test_vendor_markup_prints_literally_in_the_baa_section(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = vendor_with_markup(make_vendor, officer)

    report = report_of(vendor)
    text = baa_text(report)

    assert f"Vera {MARKUP} for the vendor" in text
    assert f"Covers Services: Mail {MARKUP}." in text
    safeguards = next(line for line in report.baa.clauses if line.present)
    assert MARKUP in safeguards.sentence
    assert f"technical safeguards {MARKUP}" in text
    assert f"Service Teams {MARKUP} (inventory) is not covered by the BAA" in text
    assert f"Acme {MARKUP}" in flat(pdf_text(vendor_pdf(report)))


def test_the_html_report_shows_the_baa_section_with_vendor_text_escaped(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = vendor_with_markup(make_vendor, officer)

    page = login_as(Role.VIEWER).get(f"/vendors/{vendor.id}/report").text

    section = panel_text(page, "baa")
    assert "BAA: Signed" in section
    assert f"Vera {MARKUP} for the vendor" in section
    assert f"technical safeguards {MARKUP}" in section
    assert f"Service Teams {MARKUP} (inventory) is not covered by the BAA" in section
    assert "Present suggested by the text check" in section
    assert "<script>" not in page
    assert "&lt;b&gt;Bold&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_html_report_shows_an_expired_baa_and_its_remediation(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor(stores_phi=True)
    today = agreements.today()
    expired = today - dt.timedelta(days=10)
    record(vendor, officer, **signed(today - dt.timedelta(days=400), expired))

    page = login_as(Role.VIEWER).get(f"/vendors/{vendor.id}/report").text

    assert f"Expired (signed, but it expired on {expired.isoformat()})" in panel_text(page,
                                                                                      "baa")
    assert (f"critical No BAA in force: signed, but it expired on {expired.isoformat()}"
            in panel_text(page, "remediations"))
    assert f'href="/vendors/{vendor.id}/agreement"' in page


# --- the portfolio ---------------------------------------------------------------------------


@pytest.fixture
def inventory(make_vendor: Callable[..., Vendor], officer: User) -> dict[str, Vendor]:
    """PHI vendors with an expired, a signed, a requested and no BAA, and one without PHI."""
    vendors = {name: make_vendor(name, stores_phi=name != "No PHI Co")
               for name in ("Expired Co", "Missing Co", "No PHI Co", "Requested Co",
                            "Signed Co")}
    record(vendors["Expired Co"], officer, **signed(date(2024, 1, 1), date(2025, 1, 1)))
    record(vendors["Signed Co"], officer, **signed(date(2025, 1, 1), date(2025, 7, 1)))
    record(vendors["Requested Co"], officer, baa_status=BaaStatus.REQUESTED.value)
    return vendors


def test_the_portfolio_lists_phi_vendors_without_a_baa_in_force_with_their_status(
    inventory: dict[str, Vendor],
) -> None:
    report = portfolio(now=NOW)
    text = flat(pdf_text(portfolio_pdf(report)))

    assert [v.name for v in report.phi_without_baa] == ["Expired Co", "Missing Co",
                                                        "Requested Co"]
    listed = between(text, "PHI vendors without a signed BAA", "Assessments overdue")
    assert "Expired (signed, but it expired on 2025-01-01)" in listed
    assert "Missing Co stores Medium Not scored Required but missing" in listed
    assert "Requested Co stores Medium Critical Requested" in listed
    assert "Signed Co" not in listed
    assert "No PHI Co" not in listed
    assert "4 handle PHI, 3 of them without a BAA in force" in text


def test_the_portfolio_lists_deadlines_overdue_and_in_the_next_90_days(
    inventory: dict[str, Vendor], officer: User,
) -> None:
    late = inventory["No PHI Co"]
    agreements.decide(late, Decision.CONDITIONAL, "SOC 2 report to follow", actor=officer,
                      conditions_due_on=date(2025, 5, 1))
    record(late, officer, contract_renews_on=date(2025, 12, 1))  # beyond 90 days
    db.session.commit()

    report = portfolio(now=NOW)
    text = flat(pdf_text(portfolio_pdf(report)))

    deadlines = text[text.index("Upcoming renewals and expiries"):]
    assert "1 decision needs attention" in deadlines
    assert "No PHI Co Conditionally approved the conditions were due on 2025-05-01" in deadlines
    assert ("Overdue (2) Date When What Vendor Detail 2025-01-01 139 days overdue BAA expires "
            "Expired Co no automatic renewal 2025-05-01 19 days overdue Conditions of approval "
            "due No PHI Co SOC 2 report to follow") in deadlines
    assert ("Due in the next 90 days (1) Date When What Vendor Detail 2025-07-01 in 42 days "
            "BAA expires Signed Co no automatic renewal") in deadlines
    assert "Contract renews" not in deadlines
    assert "1 decision needs attention." in text  # the summary
    assert "arrive with BAA tracking" not in text


def test_the_portfolio_page_shows_the_baa_statuses_and_deadlines(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    today = agreements.today()
    vendor = make_vendor(f"Acme {MARKUP}", stores_phi=True)
    record(vendor, officer, baa_status=BaaStatus.NEGOTIATING.value,
           contract_renews_on=today + dt.timedelta(days=30))

    page = login_as(Role.VIEWER).get("/reports/portfolio").text

    assert f"Acme {MARKUP} stores Medium Critical In negotiation" in panel_text(page, "phi")
    renewals = panel_text(page, "renewals")
    assert (f"{(today + dt.timedelta(days=30)).isoformat()} in 30 days Contract renews "
            f"Acme {MARKUP}") in renewals
    assert "0 decisions need attention." in renewals
    assert 'href="/deadlines"' in page
    assert "<script>" not in page


def test_the_portfolio_pdf_prints_vendor_markup_literally(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor(f"Acme {MARKUP}", stores_phi=True)
    record(vendor, officer, baa_status=BaaStatus.REFUSED.value,
           contract_ends_on=date(2025, 6, 1))

    text = flat(pdf_text(portfolio_pdf(portfolio(now=NOW))))

    # A narrow column may break the long <script> token anywhere: compare without spaces.
    packed = text.replace(" ", "")
    assert f"Acme{MARKUP}storesMediumCriticalVendorrefuses".replace(" ", "") in packed
    assert f"2025-06-01in12daysContractendsAcme{MARKUP}".replace(" ", "") in packed


def test_the_csv_baa_column_shows_each_vendors_status(inventory: dict[str, Vendor]) -> None:
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(
        portfolio_csv(portfolio(now=NOW))))}

    assert {name: row["baa"] for name, row in rows.items()} == {
        "Expired Co": "Expired", "Missing Co": "Required but missing",
        "No PHI Co": "Not required", "Requested Co": "Requested", "Signed Co": "Signed"}
    assert rows["Expired Co"]["baa_note"] == "signed, but it expired on 2025-01-01"
    assert rows["Signed Co"]["baa_expires_on"] == "2025-07-01"


def test_the_xlsx_deadlines_sheet_keeps_formulas_as_text(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    vendor = make_vendor(FORMULA)
    record(vendor, officer, contract_ends_on=date(2025, 6, 1))

    sheet = load_workbook(io.BytesIO(portfolio_xlsx(portfolio(now=NOW))))["Deadlines"]

    assert [c.value for c in sheet[1]] == ["due_on", "days_left", "what", "vendor_id",
                                           "vendor", "detail"]
    assert [c.value for c in sheet[2]][:5] == ["2025-06-01", 12, "Contract ends", vendor.id,
                                               FORMULA]
    assert sheet.cell(2, 5).data_type == "s"




def test_the_portfolio_runs_as_many_queries_for_30_vendors_with_baas_as_for_3(
    make_vendor: Callable[..., Vendor], officer: User,
) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            vendor = make_vendor(stores_phi=True)
            record(vendor, officer, **signed(date(2025, 1, 1), date(2025, 7, 1),
                                             contract_renews_on=date(2025, 8, 1)))
            agreements.decide(vendor, Decision.APPROVED_PHI, "ok", actor=officer, on=DAY)
        db.session.commit()
        db.session.expire_all()  # nothing already loaded hides a query per vendor

    add(3)
    with statements_run() as few:
        small = portfolio(now=NOW)
    add(27)
    with statements_run() as many:
        large = portfolio(now=NOW)

    assert len(small.deadlines.upcoming) == 3 * 2
    assert len(large.deadlines.upcoming) == 30 * 2
    assert len(many) == len(few), "\n\n".join(many)
