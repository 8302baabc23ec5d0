"""``flask questionnaires``: check the YAML definitions."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from riskapp.questionnaires.loader import load_directory, load_file

questionnaires_cli = AppGroup("questionnaires", help="Check questionnaire definitions.")


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
        count = len(questionnaire.by_id)
        click.echo(f"ok  {questionnaire.id} {questionnaire.version}: {count} questions in "
                   f"{len(questionnaire.sections)} sections")
    if errors:
        raise click.ClickException(f"{len(errors)} problem(s) found")
