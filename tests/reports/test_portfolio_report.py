"""The leadership portfolio report: PDF, page, CSV and XLSX, from a few queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import insert, select

from riskapp.access import Role
from riskapp.database import db
from riskapp.reports.portfolio import portfolio, quarter_start
from riskapp.reports.portfolio_export import portfolio_csv, portfolio_xlsx
from riskapp.reports.portfolio_report import portfolio_pdf
from riskapp.scoring import services as scoring
from riskapp.scoring.models import VendorScore
from riskapp.vendors.models import Vendor, vendor_name_key
from tests.queries import statements_run
from tests.reports.conftest import INJECTED, flat, pdf_pages, pdf_text

NOW = dt.datetime(2025, 5, 20, 9, 30, tzinfo=dt.UTC)  # the quarter began on 1 April
LAST_QUARTER = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)
THIS_QUARTER = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
FORMULA = '=HYPERLINK("http://x","y")'
SECTIONS = ("Vendors by risk tier", "Top risks across vendors", "Since the previous quarter",
            "PHI vendors without a signed BAA", "Assessments overdue",
            "Upcoming renewals and expiries")


def explanation(score: float, tier: str, *risks: tuple[str, float]) -> dict[str, Any]:
    return {"score": score, "tier": tier, "contributions": [
        {"source": "profile", "label": label, "detail": f"why {label}", "reference": "x",
         "points": points} for label, points in risks]}


def add_score(vendor_id: int, score: float, tier: str, at: dt.datetime,
              *risks: tuple[str, float]) -> None:
    db.session.add(VendorScore(
        vendor_id=vendor_id, score=score, tier=tier, computed_at=at, profile_id="default",
        profile_version="1", profile_hash="h", explanation=explanation(score, tier, *risks)))
    db.session.commit()


def test_every_section_and_page_header(make_vendor: Callable[..., Vendor]) -> None:
    mail = make_vendor("Northwind Mail", stores_phi=True)
    host = make_vendor("Contoso Hosting")
    add_score(mail.id, 72.0, "high", THIS_QUARTER, ("No MFA for admins", 30.0))
    add_score(host.id, 20.0, "low", THIS_QUARTER, ("Category: hosting", 12.0))

    pages = pdf_pages(portfolio_pdf(portfolio(now=NOW)))

    text = flat("\n".join(pages))
    for number, page in enumerate(pages, start=1):
        assert "Vendor risk portfolio" in page
        assert f"page {number} of {len(pages)}" in page
    for section in SECTIONS:
        assert section in text
    assert "No MFA for admins" in text  # a top risk, with its vendor's name
    assert "Northwind Mail" in text
    assert text.index("No MFA for admins") < text.index("Category: hosting")
    assert "Required but missing" in text  # Northwind Mail's BAA, none recorded
    assert "Nothing is overdue." in text  # the deadlines
    assert "No earlier scores" in text


def test_tiers_count_each_vendor_by_its_latest_score(
    make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor()
    make_vendor("Never Scored")
    add_score(vendor.id, 90.0, "critical", LAST_QUARTER)
    add_score(vendor.id, 10.0, "low", THIS_QUARTER)

    report = portfolio(now=NOW)

    assert {tier.value: n for tier, n in report.tiers.items() if n} == {
        "low": 1, "not_scored": 1}


def test_movement_compares_with_the_latest_score_before_the_quarter(
    make_vendor: Callable[..., Vendor],
) -> None:
    up, down, same, new = (make_vendor() for _ in range(4))
    add_score(up.id, 30.0, "low", LAST_QUARTER - dt.timedelta(days=30))
    add_score(up.id, 40.0, "moderate", LAST_QUARTER)  # the one compared with
    add_score(up.id, 50.0, "moderate", THIS_QUARTER)
    add_score(down.id, 60.0, "high", LAST_QUARTER)
    add_score(down.id, 45.0, "moderate", THIS_QUARTER)
    add_score(same.id, 20.0, "low", LAST_QUARTER)
    add_score(new.id, 80.0, "high", THIS_QUARTER)  # nothing earlier: left out

    move = portfolio(now=NOW).movement

    assert move.since == quarter_start(NOW.date()) == dt.date(2025, 4, 1)
    assert (move.up, move.down, move.same, move.compared) == (1, 1, 1, 3)
    assert move.mean_change == pytest.approx((10 - 15 + 0) / 3, abs=0.01)
    text = flat(pdf_text(portfolio_pdf(portfolio(now=NOW))))
    assert "1 up, 1 down, 1 the same" in text


def test_vendor_markup_prints_literally(make_vendor: Callable[..., Vendor]) -> None:
    vendor = make_vendor(f"Acme {INJECTED[0]}", processes_phi=True)
    add_score(vendor.id, 50.0, "moderate", THIS_QUARTER, (INJECTED[1], 20.0))

    text = flat(pdf_text(portfolio_pdf(portfolio(now=NOW))))

    assert f"Acme {INJECTED[0]}" in text
    assert INJECTED[1] in text


def bulk_portfolio(count: int) -> None:
    """``count`` vendors, half handling PHI, each scored last quarter and this one."""
    vendor_ids = db.session.scalars(insert(Vendor).returning(Vendor.id), [
        {"name": f"Bulk Vendor {n:04d}", "name_key": vendor_name_key(f"Bulk Vendor {n:04d}"),
         "category": "hosting", "criticality": "high", "status": "active",
         "stores_phi": n % 2 == 0} for n in range(count)]).all()
    tiers = ("low", "moderate", "high", "critical")
    db.session.execute(insert(VendorScore), [
        {"vendor_id": vendor_id, "score": float(score), "tier": tiers[score // 25],
         "computed_at": at, "profile_id": "default", "profile_version": "1",
         "profile_hash": "h", "explanation": explanation(
             float(score), tiers[score // 25], (f"Risk {n}", score / 3))}
        for n, vendor_id in enumerate(vendor_ids)
        for score, at in (((n * 7) % 100, LAST_QUARTER), ((n * 11) % 100, THIS_QUARTER))])
    db.session.commit()


def test_a_1000_vendor_portfolio_is_generated_in_a_few_queries(app: Any) -> None:
    bulk_portfolio(1000)
    with statements_run() as statements:
        report = portfolio(now=NOW)
    content = portfolio_pdf(report)
    pages = pdf_pages(content)

    assert len(statements) <= 11  # 5, and the 6 that gather the deadlines
    assert len(report.vendors) == 1000
    assert report.movement.compared == 1000
    assert f"page {len(pages)} of {len(pages)}" in pages[-1]
    assert "The first 60 of 500 by name" in flat("\n".join(pages))
    if os.environ.get("RISKAPP_REPORT_SAMPLES"):  # look at it: pdftoppm -png -r 50
        Path(os.environ["RISKAPP_REPORT_SAMPLES"], "portfolio-1000.pdf").write_bytes(content)


def test_csv_lists_every_vendor_with_formulas_neutralised(
    make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor(FORMULA, stores_phi=True)
    add_score(vendor.id, 40.0, "moderate", LAST_QUARTER)
    add_score(vendor.id, 55.5, "moderate", THIS_QUARTER)

    rows = list(csv.DictReader(io.StringIO(portfolio_csv(portfolio(now=NOW)))))

    assert len(rows) == 1
    assert rows[0]["name"] == "'" + FORMULA
    assert rows[0]["score"] == "55.5"
    assert rows[0]["change_since_quarter_start"] == "15.5"
    assert rows[0]["baa"] == "Required but missing"


def test_xlsx_reads_back_with_formulas_as_text(make_vendor: Callable[..., Vendor]) -> None:
    vendor = make_vendor(FORMULA, transmits_phi=True)
    add_score(vendor.id, 64.0, "high", THIS_QUARTER, ("-1 point of trust", 20.0))

    book = load_workbook(io.BytesIO(portfolio_xlsx(portfolio(now=NOW))))

    vendors, risks = book["Vendors"], book["Top risks"]
    header = [c.value for c in vendors[1]]
    row = dict(zip(header, [c.value for c in vendors[2]], strict=True))
    assert row["name"] == FORMULA
    assert vendors.cell(2, 2).data_type == "s"  # a string cell, never a formula
    assert (row["score"], row["tier"], row["phi"]) == (64.0, "High", "transmits")
    assert risks.cell(2, 5).value == "-1 point of trust"
    assert risks.cell(2, 5).data_type == "s"
    assert risks.cell(2, 3).value == FORMULA


@pytest.mark.parametrize("role", list(Role))
def test_every_role_downloads_the_portfolio(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor], role: Role,
) -> None:
    make_vendor("Fabrikam Billing", stores_phi=True)
    client = login_as(role)

    for path, mimetype in (("/reports/portfolio.pdf", "application/pdf"),
                           ("/reports/portfolio.csv", "text/csv"),
                           ("/reports/portfolio.xlsx", "application/vnd.openxmlformats-"
                                                       "officedocument.spreadsheetml.sheet")):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == mimetype
        assert response.headers["Content-Disposition"].startswith(
            'attachment; filename="portfolio-')
        assert "no-store" in response.headers["Cache-Control"]
    assert "Fabrikam Billing" in client.get("/reports/portfolio").text


def test_anonymous_visitors_get_no_portfolio(app: Any) -> None:
    client = app.test_client()
    for path in ("/reports/portfolio.pdf", "/reports/portfolio.csv",
                 "/reports/portfolio.xlsx", "/reports/portfolio"):
        assert client.get(path).status_code == 302


def test_the_page_escapes_vendor_text_and_the_dashboard_links_it(
    login_as: Callable[..., FlaskClient], make_vendor: Callable[..., Vendor],
) -> None:
    vendor = make_vendor(INJECTED[1], stores_phi=True)
    add_score(vendor.id, 50.0, "moderate", THIS_QUARTER, ("Weak TLS", 10.0))
    client = login_as(Role.VIEWER)

    page = client.get("/reports/portfolio").text

    assert INJECTED[1] not in page
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;y&lt;/a&gt;" in page
    assert "Weak TLS" in page
    assert 'href="/reports/portfolio"' in client.get("/").text


def test_the_cli_writes_the_portfolio(runner: FlaskCliRunner, make_vendor: Callable[..., Vendor],
                                      tmp_path: Path) -> None:
    vendor = make_vendor("Cli Portfolio Vendor")
    scoring.score_vendor(vendor, actor=None, reason="test")
    db.session.commit()
    out = tmp_path / "portfolio.pdf"

    result = runner.invoke(args=["reports", "portfolio", "-o", str(out)])

    assert result.exit_code == 0, result.output
    assert "Cli Portfolio Vendor" in pdf_text(out.read_bytes())
    assert db.session.scalar(select(VendorScore.id)) is not None
