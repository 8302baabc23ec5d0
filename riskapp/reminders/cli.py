"""``flask reminders run``: send the reminders due today by hand, or see what they would be."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from riskapp.reminders import services, tasks

reminders_cli = AppGroup("reminders", help="Deadline reminders and the weekly digest.")


@reminders_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send nothing.")
@click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Run as of this day (YYYY-MM-DD) instead of today.")
def run_command(dry_run: bool, on: object) -> None:
    """Send each reminder due and not sent before (the worker does this daily)."""
    day: date = on.date() if on is not None else services.today()  # type: ignore[attr-defined]
    if dry_run:
        report = services.run_reminders(day, dry_run=True)
        click.echo(f"Reminders due on {day.isoformat()}: {len(report.planned)} mail(s) would "
                   f"be sent; {report.already} reminder(s) were sent before.")
    else:
        report = tasks.run_daily(day)
        click.echo(f"Reminders for {day.isoformat()}: {len(report.sent)} mail(s) sent, "
                   f"{len(report.failed)} failed; {report.already} reminder(s) sent before.")
    for outgoing in report.planned:
        click.echo(f"\nTo: {outgoing.user.display_name} <{outgoing.user.email}>")
        click.echo(f"Subject: {outgoing.subject}")
        click.echo(outgoing.body.rstrip())
    for outgoing, error in report.failed:
        click.echo(f"Not sent to {outgoing.user.email}: {error}", err=True)
    if report.failed:
        raise SystemExit(1)  # a scheduler sees the failure; the next run retries them
