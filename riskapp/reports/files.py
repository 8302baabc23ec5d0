"""Report files: their names and how the browser receives them."""

from __future__ import annotations

import datetime as dt
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


def portfolio_name(generated: dt.datetime, extension: str) -> str:
    """``portfolio-<date>.<extension>``."""
    return f"portfolio-{generated:%Y-%m-%d}.{extension}"


def pdf_download(content: bytes, filename: str) -> Response:
    """Send a PDF as an attachment that no cache keeps: it describes security gaps."""
    return download(content, filename, "application/pdf")


def download(content: bytes | str, filename: str, mimetype: str) -> Response:
    """Send ``content`` as an attachment named ``filename`` that no cache keeps."""
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })
