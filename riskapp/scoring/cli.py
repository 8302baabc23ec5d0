"""``flask scores``: check the scoring profile, and rescore vendors with it."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from riskapp.extensions import db
from riskapp.scoring import services
from riskapp.scoring.profile import ProfileError
from riskapp.vendors.services import get_vendor

scores_cli = AppGroup("scores", help="Vendor risk scores and the scoring profile.")


@scores_cli.command("check")
def check_command() -> None:
    """Validate the scoring profile; every mistake is named with file, line and column."""
    try:
        profile = services.current_profile()
    except ProfileError as error:
        raise click.ClickException(f"the scoring profile has errors:\n{error}") from error
    click.echo(f"Scoring profile {profile.label} is valid (hash {profile.content_hash[:12]}).")


@scores_cli.command("rescore")
@click.option("--vendor", "vendor_id", type=int, help="Only this vendor (its id).")
def rescore_command(vendor_id: int | None) -> None:
    """Rate vendors again with the current profile; earlier scores stay as they were."""
    if vendor_id is not None:
        vendor = get_vendor(vendor_id)
        if vendor is None:
            raise click.ClickException(f"No vendor has id {vendor_id}.")
        vendors = [vendor]
    else:
        vendors = services.working_vendors()
    try:
        rows = services.rescore(vendors, actor=None, reason="rescored from the command line")
    except ProfileError as error:
        raise click.ClickException(f"the scoring profile has errors:\n{error}") from error
    db.session.commit()
    for row in rows:
        click.echo(f"{row.vendor.name}: {row.score:g} ({row.tier}), profile {row.profile_label}")
    click.echo(f"Rescored {len(rows)} vendor(s).")
