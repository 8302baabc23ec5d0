"""``flask scans``: run the scan worker, or scan a vendor from the command line."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from riskapp.extensions import db
from riskapp.scans import heartbeat, services, tasks
from riskapp.scans.models import Scan
from riskapp.scans.queue import scan_queue
from riskapp.vendors.services import find_vendor_by_name

scans_cli = AppGroup("scans", help="Scan vendors' domains and run the scan worker.")

# The longest a worker waits between two looks at an idle SQLite queue (Redis waits on the
# queue itself): a scan someone asks for starts within this many seconds.
IDLE_POLL_SECONDS = 2.0


@scans_cli.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32),
              help="Scans run at once.")
def worker_command(workers: int) -> None:
    """Run queued scans, and the reminders daily at RISKAPP_REMINDER_HOUR, until stopped
    (Ctrl-C or SIGINT finishes the running scans first).

    Meanwhile it marks failed the scans a worker that was killed left running.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    huey = scan_queue().prepare_worker()
    click.echo(f"Worker: {workers} scans at once, queue {type(huey).__name__} {huey.name!r}; "
               f"reminders daily at {current_app.config['REMINDER_HOUR']:02d}:00 UTC.")
    with heartbeat.watching(current_app._get_current_object()):
        huey.create_consumer(workers=workers, worker_type="thread",
                             max_delay=IDLE_POLL_SECONDS).run()


@scans_cli.command("run")
@click.argument("vendor_name")
@click.option("--here", is_flag=True,
              help="Scan in this process and wait for the outcome, instead of queueing it.")
def run_command(vendor_name: str, here: bool) -> None:
    """Scan all domains of the vendor named VENDOR_NAME."""
    vendor = find_vendor_by_name(vendor_name)
    if vendor is None:
        raise click.ClickException(f"No vendor is named {vendor_name!r}.")
    try:
        scan_id = services.request_scan(vendor, actor=None).id
    except services.ScanError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    if not here:
        scan_queue().submit(scan_id)
        click.echo(f"Queued scan #{scan_id} of {vendor.name}; a worker will run it.")
        return
    try:
        tasks.run_scan(scan_id, will_retry=False)
    except Exception as error:
        current_app.logger.debug("scan %s failed", scan_id, exc_info=True)
        raise click.ClickException(
            f"Scan #{scan_id} failed: {services.describe_error(error)}") from error
    scan = db.session.get(Scan, scan_id)
    findings = scan.findings if scan is not None else []
    click.echo(f"Scan #{scan_id} of {vendor.name}: {len(findings)} findings.")
    for domain, errors in (scan.domain_errors if scan is not None else {}).items():
        for error_text in errors:
            click.echo(f"{domain}: {error_text}", err=True)
