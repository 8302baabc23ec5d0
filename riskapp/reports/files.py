"""Report files: their names and how the browser receives them."""

from __future__ import annotations

import re
import unicodedata

from flask import Response

from riskapp.reports.services import VendorReport


def vendor_report_name(report: VendorReport) -> str:
    """``vendor-<id>-<name>-<date>.pdf``, in ASCII so every browser and mail client keeps it."""
    ascii_name = unicodedata.normalize("NFKD", report.vendor.name).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.decode().lower()).strip("-")[:40]
    return "-".join(filter(None, ["vendor", str(report.vendor.id), slug,
                                  f"{report.generated:%Y-%m-%d}"])) + ".pdf"


def pdf_download(content: bytes, filename: str) -> Response:
    """Send a PDF as an attachment that no cache keeps: it describes security gaps."""
    return Response(content, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })
