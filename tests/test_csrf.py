"""Every form post carries a CSRF token; a post without one changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from riskapp.access import Role
from riskapp.database import db
from riskapp.vendors.models import Vendor
from tests.conftest import PASSWORD, csrf_token_from


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"WTF_CSRF_ENABLED": True}


def signed_in_client(app: Flask, make_user):
    user = make_user(Role.ADMIN)
    client = app.test_client()
    token = csrf_token_from(client.get("/login").text)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def test_login_without_a_token_is_refused(app: Flask, make_user) -> None:
    user = make_user(Role.ADMIN)
    response = app.test_client().post(
        "/login", data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "The form expired" in response.text


def test_login_with_the_pages_token_works(app: Flask, make_user) -> None:
    client = signed_in_client(app, make_user)
    assert client.get("/").status_code == 200


def test_every_post_route_refuses_a_signed_in_user_without_a_token(
    app: Flask, make_user
) -> None:
    client = signed_in_client(app, make_user)
    post_rules = [
        rule.rule.replace("<int:vendor_id>", "1").replace("<int:user_id>", "1")
        .replace("<int:assessment_id>", "1").replace("<int:part>", "0")
        .replace("<section_id>", "baa").replace("<questionnaire_id>", "email-vendor")
        .replace("<int:finding_id>", "1").replace("<int:acceptance_id>", "1")
        .replace("<int:document_id>", "1")
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
    ]
    assert post_rules, "the app has no POST routes to check"
    answers = {rule: client.post(rule).status_code for rule in post_rules}
    assert answers == dict.fromkeys(post_rules, 400)


def test_a_refused_post_changes_nothing(app: Flask, make_user) -> None:
    client = signed_in_client(app, make_user)
    client.post("/vendors/new", data={"name": "Sneaky", "primary_domain": "sneaky.example",
                                      "category": "email", "criticality": "low",
                                      "status": "active"})
    assert db.session.scalar(select(func.count()).select_from(Vendor)) == 0
