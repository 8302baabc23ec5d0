"""schema.json, the JSON Schema editors check questionnaire files against as they type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from riskapp.questionnaires.schema import SCHEMA_FILE, json_schema, json_schema_text

SHIPPED = Path(__file__).parents[2] / "questionnaires"
FILES = sorted([*SHIPPED.glob("*.yaml"), *(SHIPPED / "banks").glob("*.yaml")])


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json_schema())


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_committed_schema_is_the_one_the_models_make() -> None:
    # After changing the models, run: flask questionnaires schema
    assert (SHIPPED / SCHEMA_FILE).read_text(encoding="utf-8") == json_schema_text()


def test_the_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(json_schema_text()))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_shipped_file_passes_the_schema(
    validator: jsonschema.Draft202012Validator, path: Path
) -> None:
    assert [error.message for error in validator.iter_errors(_load(path))] == []


def test_a_misspelt_key_fails_the_schema_where_it_stands(
    validator: jsonschema.Draft202012Validator
) -> None:
    document = _load(SHIPPED / "email-vendor.yaml")
    question = next(s for s in document["sections"] if "questions" in s)["questions"][0]
    question["requird"] = True
    messages = [e.message for e in _all_errors(validator.iter_errors(document))]
    assert any("'requird' was unexpected" in message for message in messages)


def _all_errors(errors: Any) -> list[jsonschema.ValidationError]:
    """Errors and the errors inside them (a oneOf over question types nests them)."""
    found = []
    for error in errors:
        found.append(error)
        found += _all_errors(error.context or [])
    return found


def test_every_shipped_file_asks_editors_to_use_the_schema() -> None:
    for path in FILES:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path.name
