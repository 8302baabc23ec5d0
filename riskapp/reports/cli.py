"""``flask reports``: write report PDFs from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from riskapp.reports import portfolio, services
from riskapp.reports.files import portfolio_name, vendor_report_name
from riskapp.reports.portfolio_report import portfolio_pdf
from riskapp.reports.vendor_report import vendor_pdf
from riskapp.vendors.services import get_vendor

reports_cli = AppGroup("reports", help="Vendor and portfolio risk reports (PDF).")


@reports_cli.command("vendor")
@click.argument("vendor_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the PDF (default: vendor-ID-NAME-DATE.pdf here).")
def vendor_command(vendor_id: int, output: Path | None) -> None:
    """Write the due-diligence report of vendor VENDOR_ID."""
    vendor = get_vendor(vendor_id)
    if vendor is None:
        raise click.ClickException(f"no vendor with id {vendor_id}")
    report = services.vendor_report(vendor)
    _write(output or Path(vendor_report_name(report)), vendor_pdf(report))


@reports_cli.command("portfolio")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the PDF (default: portfolio-DATE.pdf here).")
def portfolio_command(output: Path | None) -> None:
    """Write the leadership portfolio report of the working inventory."""
    report = portfolio.portfolio()
    _write(output or Path(portfolio_name(report.generated, "pdf")), portfolio_pdf(report))


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from error
    click.echo(f"Wrote {path}")
