"""``flask demo``: sample data for a first look."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from riskapp.demo import services
from riskapp.extensions import db

demo_cli = AppGroup("demo", help="Load sample data.")


@demo_cli.command("load")
def load_command() -> None:
    """Create demo accounts and sample vendors, once: an existing database is left alone."""
    loaded = services.load_demo_data()
    if loaded is None:
        click.echo("Demo data not loaded: this database already has accounts or vendors. "
                   "Forgot the password? Run: flask users reset-password EMAIL")
        return
    db.session.commit()
    rule = "=" * 64
    click.echo(rule)
    click.echo(f"Loaded {loaded.vendor_count} sample vendors.")
    click.echo(f"Stored {loaded.scan_count} example scans of their domains (no network used).")
    click.echo(f"Recorded {loaded.agreement_count} BAAs and contracts, one signed BAA as a PDF, "
               f"and {loaded.decision_count} decisions.")
    click.echo(f"Sign in at http://127.0.0.1:5000 as {loaded.admin_email}")
    click.echo(f"One-time password: {loaded.admin_password}")
    click.echo("You will be asked to choose your own password.")
    if loaded.other_logins:
        click.echo("More demo accounts, each with its own one-time password:")
        for login in loaded.other_logins:
            click.echo(f"  {login.email} ({login.part}): {login.password}")
    click.echo("To see the reminders the demo's deadlines would send: "
               "flask reminders run --dry-run")
    click.echo(rule)
