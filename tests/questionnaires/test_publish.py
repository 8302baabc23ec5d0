"""Publishing questionnaire versions: frozen snapshots, and no changed content under an old
version."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from riskapp.audit.models import AuditEvent
from riskapp.database import db
from riskapp.questionnaires import services
from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.loader import load_directory
from riskapp.questionnaires.models import QuestionnaireVersion
from tests.questionnaires.conftest import DEFINITIONS


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS, folder)
    return folder


def _edit(folder: Path, old: str, new: str) -> None:
    example = folder / "example-vendor.yaml"
    example.write_text(example.read_text().replace(old, new, 1))


def _publish(runner: FlaskCliRunner, folder: Path) -> tuple[int, str]:
    result = runner.invoke(args=["questionnaires", "publish", str(folder)])
    return result.exit_code, result.output


def test_publishing_freezes_the_definition_as_it_was(app: Flask, example: Questionnaire
                                                     ) -> None:
    result = services.publish(example, actor=None)
    db.session.commit()
    assert result.outcome is services.Outcome.PUBLISHED
    row = services.published("example-vendor", "1.0.0")
    assert row is not None
    assert row.content_hash == example.content_hash
    assert services.snapshot(row) == example


def test_publishing_the_same_content_again_changes_nothing(app: Flask, example: Questionnaire
                                                          ) -> None:
    services.publish(example, actor=None)
    again = services.publish(example, actor=None)
    assert again.outcome is services.Outcome.UNCHANGED
    assert len(db.session.scalars(select(QuestionnaireVersion)).all()) == 1


def test_changed_content_under_a_published_version_is_refused(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = _copy(tmp_path)
    assert _publish(runner, folder)[0] == 0
    _edit(folder, "Tell us how your service", "Say how your service")

    code, output = _publish(runner, folder)

    assert code == 1
    assert ("example-vendor 1.0.0 is already published with other content; give the file a "
            "new version (e.g. 1.0.1)") in output
    row = services.published("example-vendor", "1.0.0")
    assert row is not None
    assert "Tell us how your service" in str(row.definition)  # the snapshot is untouched


def test_a_new_version_is_published_beside_the_old(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = _copy(tmp_path)
    _publish(runner, folder)
    _edit(folder, "Tell us how your service", "Say how your service")
    _edit(folder, "version: 1.0.0", "version: 1.1.0")

    code, output = _publish(runner, folder)

    assert (code, output.strip()) == (0, "published example-vendor 1.1.0 published")
    assert [r.version for r in db.session.scalars(select(QuestionnaireVersion))] == [
        "1.0.0", "1.1.0"]
    old = services.snapshot(services.published("example-vendor", "1.0.0"))  # type: ignore[arg-type]
    assert old.sections[1].intro.startswith("Tell us how")
    latest = services.latest_published("example-vendor")
    assert latest is not None
    assert latest.version == "1.1.0"


def test_an_older_version_than_the_published_one_is_refused(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "version: 1.0.0", "version: 1.10.0")
    _publish(runner, folder)
    _edit(folder, "version: 1.10.0", "version: 1.9.0")
    _edit(folder, "Tell us how your service", "Say how your service")

    code, output = _publish(runner, folder)

    assert code == 1
    assert "example-vendor 1.9.0 is older than the published 1.10.0" in output


def test_publishing_is_in_the_audit_log(app: Flask, example: Questionnaire) -> None:
    services.publish(example, actor=None)
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "questionnaire.published")).one()
    assert event.summary == "Published example-vendor 1.0.0"


def test_a_folder_with_a_broken_file_publishes_the_rest_and_fails(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = _copy(tmp_path)
    (folder / "broken.yaml").write_text("id: [\n")
    code, output = _publish(runner, folder)
    assert code == 1
    assert "published example-vendor 1.0.0 published" in output
    assert "1 problem(s) in the definitions, 0 refused" in output


def test_check_prints_each_sound_file_and_fails_on_any_problem(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    folder = _copy(tmp_path)
    good = runner.invoke(args=["questionnaires", "check", str(folder)])
    assert good.exit_code == 0
    assert good.output == ("ok  example-vendor 1.0.0: 8 questions (and 3 in group rows) in "
                           "4 sections\n")
    _edit(folder, "severity: high", "severity: hgh")
    bad = runner.invoke(args=["questionnaires", "check", str(folder)])
    assert bad.exit_code == 1
    assert "example-vendor.yaml:43:25: severity: should be" in bad.output
    assert "Error: 1 problem(s) found" in bad.output


def test_the_shipped_questionnaires_all_pass_the_check(runner: FlaskCliRunner) -> None:
    shipped = Path(__file__).parents[2] / "questionnaires"
    result = runner.invoke(args=["questionnaires", "check", str(shipped)])
    assert result.exit_code == 0, result.output
    assert set(load_directory(shipped).questionnaires) == {
        "email-vendor", "hosting-vendor", "marketing-vendor"}
