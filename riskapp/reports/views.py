"""The vendor report, as a PDF to download and as a page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from riskapp.access import Permission, requires
from riskapp.reports import services
from riskapp.reports.files import pdf_download, vendor_report_name
from riskapp.reports.vendor_report import vendor_pdf
from riskapp.vendors.models import Vendor
from riskapp.vendors.services import get_vendor

bp = Blueprint("reports", __name__, template_folder="templates")


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
