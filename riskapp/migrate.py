"""Schema migrations: alembic, driven from the app's own engine.

``flask db upgrade`` is what ``make run`` calls; ``flask db revision -m "..."`` drafts a new
migration from the models for a developer to read, name and trim by hand.
"""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask.cli import AppGroup
from sqlalchemy import Engine

from riskapp.extensions import db

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

REVISION_FILE_TEMPLATE = (
    "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s"
)

db_cli = AppGroup("db", help="Create and upgrade the database schema.")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Dated names that sort in order, e.g. 2026_11_28_0710_vendor_inventory.py.
    config.set_main_option("file_template", REVISION_FILE_TEMPLATE)
    config.set_main_option("timezone", "UTC")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade(db.engine, revision)
    click.echo(f"Database is at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Undo migrations down to REVISION (e.g. -1 for one step, base for all)."""
    downgrade(db.engine, revision)
    click.echo(f"Database is at {revision}.")


@db_cli.command("current")
def current_command() -> None:
    """Show the revision the database is at."""
    command.current(alembic_config(db.engine), verbose=False)


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
def revision_command(message: str) -> None:
    """Draft a migration from the difference between the models and the database."""
    command.revision(alembic_config(db.engine), message=message, autogenerate=True)
