"""The JSON Schema of questionnaire and bank files, for editors that check YAML as you type.

``questionnaires/schema.json`` is generated from the same models the loader validates with,
so the two cannot drift: a test compares the committed file with :func:`json_schema`, and
``flask questionnaires schema`` writes it anew.
"""

from __future__ import annotations

import json
from typing import Any

from riskapp.questionnaires.definition import BankFile, QuestionnaireFile

SCHEMA_FILE = "schema.json"


def json_schema() -> dict[str, Any]:
    """One schema that accepts a questionnaire file or a bank file."""
    definitions: dict[str, Any] = {}
    for model in (QuestionnaireFile, BankFile):
        schema = model.model_json_schema(by_alias=True, mode="validation")
        definitions.update(schema.pop("$defs", {}))
        definitions[model.__name__] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "riskapp questionnaire or bank",
        "description": "See questionnaires/README.md for what each key means.",
        "anyOf": [{"$ref": "#/$defs/QuestionnaireFile"}, {"$ref": "#/$defs/BankFile"}],
        "$defs": definitions,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
