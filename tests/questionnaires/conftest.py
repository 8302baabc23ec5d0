"""Fixtures for the questionnaire tests: a small definitions folder that exercises the format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from riskapp.questionnaires.definition import Questionnaire
from riskapp.questionnaires.loader import load_directory

DEFINITIONS = Path(__file__).parent / "definitions"


@pytest.fixture(scope="session")
def example() -> Questionnaire:
    """The README's complete example, with a one-question BAA bank."""
    library = load_directory(DEFINITIONS)
    assert library.errors == []
    return library.questionnaires["example-vendor"]


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"QUESTIONNAIRES_DIR": DEFINITIONS}
