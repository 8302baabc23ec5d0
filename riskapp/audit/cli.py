"""``flask audit``: check the audit trail from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from riskapp.audit import services

audit_cli = AppGroup("audit", help="Inspect the audit trail.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Recompute the hash chain and report the first broken link, if any."""
    report = services.verify_chain()
    if report.intact:
        click.echo(f"Audit trail intact: {report.events_checked} events, every link verified.")
        return
    brk = report.first_break
    assert brk is not None  # noqa: S101 (narrowing for the type checker; intact was False)
    where = f"event {brk.event_id}" if brk.event_id is not None else "the start of the log"
    raise click.ClickException(
        f"Audit trail broken at {where}: {brk.reason}. "
        f"{report.events_checked} events before it verified."
    )
