"""Fixtures for the assessment tests: the example questionnaire published, and an assessment
of a vendor started by an officer, with its share link's token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from riskapp.accounts.models import User
from riskapp.assessments import services
from riskapp.assessments.models import Assessment
from riskapp.database import db
from riskapp.questionnaires import services as questionnaires
from riskapp.questionnaires.loader import load_directory
from riskapp.questionnaires.models import QuestionnaireVersion
from riskapp.vendors.models import Vendor
from tests.questionnaires.conftest import DEFINITIONS

GOOD_ANSWERS: dict[str, Any] = {
    "baa_offered": "yes", "phi_volume": "none", "mfa": "yes", "mfa_methods": "webauthn",
    "session_timeout": "15", "data_countries": "US",
}


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"QUESTIONNAIRES_DIR": DEFINITIONS}


@pytest.fixture
def published(app: Flask) -> QuestionnaireVersion:
    questionnaire = load_directory(DEFINITIONS).questionnaires["example-vendor"]
    questionnaires.publish(questionnaire, actor=None)
    db.session.commit()
    row = questionnaires.published("example-vendor", "1.0.0")
    assert row is not None
    return row


@dataclass
class Started:
    assessment: Assessment
    token: str
    officer: User

    @property
    def url(self) -> str:
        return f"/r/{self.token}"


@pytest.fixture
def start(app: Flask, published: QuestionnaireVersion, make_user: Callable[..., User],
          make_vendor: Callable[..., Vendor]) -> Callable[..., Started]:
    """Start an assessment of a fresh vendor as an officer would."""

    def make(**fields: Any) -> Started:
        officer = make_user("officer")
        vendor = make_vendor()
        values = {"due_date": dt.date.today() + dt.timedelta(days=14),
                  "respondent_name": "Vera Vendor", "respondent_email": "vera@vendor.example",
                  "link_days": 30} | fields
        assessment, token = services.start_assessment(vendor, [published], actor=officer,
                                                      **values)
        db.session.commit()
        return Started(assessment, token, officer)

    return make


@pytest.fixture
def vendor_browser(app: Flask) -> Callable[[Started], FlaskClient]:
    """A fresh browser that opened the share link."""

    def open_link(started: Started) -> FlaskClient:
        client = app.test_client()
        response = client.get(started.url)
        assert response.status_code == 303, "the share link did not open"
        return client

    return open_link
