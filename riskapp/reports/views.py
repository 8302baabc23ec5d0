"""The vendor and portfolio reports, as files to download and as pages."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from riskapp.access import Permission, requires
from riskapp.reports import portfolio, portfolio_export, portfolio_report, services
from riskapp.reports.files import download, pdf_download, portfolio_name, vendor_report_name
from riskapp.reports.vendor_report import vendor_pdf
from riskapp.vendors.models import Vendor
from riskapp.vendors.services import get_vendor

bp = Blueprint("reports", __name__, template_folder="templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _vendor(vendor_id: int) -> Vendor:
    vendor = get_vendor(vendor_id)
    if vendor is None:
        abort(404)
    return vendor


@bp.get("/vendors/<int:vendor_id>/report.pdf")
@requires(Permission.VENDORS_VIEW)
def vendor_report_pdf(vendor_id: int) -> Response:
    report = services.vendor_report(_vendor(vendor_id))
    return pdf_download(vendor_pdf(report), vendor_report_name(report))


@bp.get("/vendors/<int:vendor_id>/report")
@requires(Permission.VENDORS_VIEW)
def vendor_report(vendor_id: int) -> str:
    return render_template("reports/vendor.html", report=services.vendor_report(
        _vendor(vendor_id)))


@bp.get("/reports/portfolio.pdf")
@requires(Permission.VENDORS_VIEW)
def portfolio_pdf() -> Response:
    report = portfolio.portfolio()
    return pdf_download(portfolio_report.portfolio_pdf(report),
                        portfolio_name(report.generated, "pdf"))


@bp.get("/reports/portfolio.csv")
@requires(Permission.VENDORS_VIEW)
def portfolio_csv() -> Response:
    report = portfolio.portfolio()
    # The byte-order mark makes Excel read the file as UTF-8.
    return download("\ufeff" + portfolio_export.portfolio_csv(report),
                    portfolio_name(report.generated, "csv"), "text/csv")


@bp.get("/reports/portfolio.xlsx")
@requires(Permission.VENDORS_VIEW)
def portfolio_xlsx() -> Response:
    report = portfolio.portfolio()
    return download(portfolio_export.portfolio_xlsx(report),
                    portfolio_name(report.generated, "xlsx"), XLSX)


@bp.get("/reports/portfolio")
@requires(Permission.VENDORS_VIEW)
def portfolio_page() -> str:
    return render_template("reports/portfolio.html", report=portfolio.portfolio())
