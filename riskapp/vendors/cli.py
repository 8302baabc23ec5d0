"""``flask vendors``: import and export the inventory as CSV."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from riskapp.extensions import db
from riskapp.vendors import csv_exchange, services

vendors_cli = AppGroup("vendors", help="Import and export the vendor inventory.")


@vendors_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row; import nothing.")
@click.option("--update-existing", is_flag=True,
              help="Rows naming an existing vendor update it instead of being refused.")
def import_command(path: Path, dry_run: bool, update_existing: bool) -> None:
    """Import vendors from a CSV file: all rows, or none if any row is wrong."""
    text = csv_exchange.decode_upload(path.read_bytes())
    report = csv_exchange.import_vendors(
        text, actor=None, dry_run=dry_run, update_existing=update_existing
    )
    for problem in report.file_errors:
        click.echo(f"{path}: {problem}", err=True)
    for row in report.rows_with_errors:
        for problem in row.errors:
            click.echo(f"{path}: row {row.row_number} ({row.name or 'no name'}): {problem}",
                       err=True)
    if not report.ok:
        db.session.rollback()
        raise click.ClickException(
            f"Nothing imported: {len(report.rows_with_errors)} of {len(report.rows)} rows "
            f"have problems." if report.rows else "Nothing imported."
        )
    if dry_run:
        click.echo(f"{len(report.planned)} rows are valid. Nothing imported (dry run).")
        return
    db.session.commit()
    updated = f" Updated {report.updated}." if report.updated else ""
    plural = "" if report.imported == 1 else "s"
    click.echo(f"Imported {report.imported} vendor{plural}.{updated}")


@vendors_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
def export_command(path: Path | None) -> None:
    """Write the unarchived vendors as CSV to PATH, or to standard output."""
    vendors = db.session.scalars(services.vendor_select(services.VendorQuery()))
    text = csv_exchange.export_csv(vendors)
    if path is None:
        click.echo(text, nl=False)
    else:
        path.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {path}.")
