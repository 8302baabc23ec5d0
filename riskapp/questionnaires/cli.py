"""``flask questionnaires``: check the YAML definitions and publish them."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from riskapp.database import db
from riskapp.questionnaires import schema, services
from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.loader import BANK_FOLDER, load_directory, load_file

questionnaires_cli = AppGroup("questionnaires", help="Check and publish questionnaire definitions.")


@questionnaires_cli.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def check_command(path: Path | None) -> None:
    """Check one questionnaire file, or every file in the folder (default: the app's)."""
    path = path or Path(current_app.config["QUESTIONNAIRES_DIR"])
    if path.is_dir():
        library = load_directory(path)
        loaded, errors = list(library.questionnaires.values()), library.errors
    else:
        questionnaire, errors = load_file(path)
        loaded = [questionnaire] if questionnaire else []
    for error in errors:
        click.echo(str(error), err=True)
    for questionnaire in loaded:
        click.echo(f"ok  {_described(questionnaire, is_bank=path.parent.name == BANK_FOLDER)}")
    if errors:
        raise click.ClickException(f"{len(errors)} problem(s) found")


def _described(questionnaire: Questionnaire, *, is_bank: bool = False) -> str:
    rows = sum(len(group.questions) for group in questionnaire.groups())
    in_rows = f" (and {rows} in group rows)" if rows else ""
    name = f"bank {questionnaire.id}" if is_bank else \
        f"{questionnaire.id} {questionnaire.version}"
    return (f"{name}: {len(questionnaire.by_id)} questions{in_rows} in "
            f"{len(questionnaire.sections)} sections")


@questionnaires_cli.command("publish")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False,
                                                        path_type=Path))
def publish_command(path: Path | None) -> None:
    """Publish every sound questionnaire in the folder as the version assessments are sent with.

    A version already published with the same content is left alone; one published with
    other content is refused, so the file needs a new version.
    """
    loaded = load_directory(path or Path(current_app.config["QUESTIONNAIRES_DIR"]))
    for error in loaded.errors:
        click.echo(str(error), err=True)
    results = services.publish_library(loaded, actor=None)
    db.session.commit()
    for result in results:
        click.echo(f"{result.outcome:<9} {result.message}",
                   err=result.outcome is services.Outcome.REFUSED)
    refused = [r for r in results if r.outcome is services.Outcome.REFUSED]
    if loaded.errors or refused:
        raise click.ClickException(
            f"{len(loaded.errors)} problem(s) in the definitions, {len(refused)} refused")


@questionnaires_cli.command("schema")
def schema_command() -> None:
    """Write schema.json (the JSON Schema editors use) into the questionnaires folder."""
    target = Path(current_app.config["QUESTIONNAIRES_DIR"]) / schema.SCHEMA_FILE
    target.write_text(schema.json_schema_text(), encoding="utf-8")
    click.echo(f"wrote {target}")
