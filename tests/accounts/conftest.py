"""Fixtures for the accounts tests: users with one-time passwords, clients, audit queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from riskapp.access import Role
from riskapp.accounts.models import User
from riskapp.audit.models import AuditEvent
from riskapp.database import db
from tests.conftest import PASSWORD


@pytest.fixture
def make_newcomer(make_user: Callable[..., User]) -> Callable[..., User]:
    """Create a user who still has a one-time password they must replace."""

    def make(role: Role | str = Role.OFFICER, **fields: Any) -> User:
        user = make_user(role, **fields)
        user.must_change_password = True
        db.session.commit()
        return user

    return make


@pytest.fixture
def signed_in_client(app: Flask) -> Callable[..., FlaskClient]:
    """Return a new client signed in, through the login form, as an existing user."""

    def sign_in(user: User, password: str = PASSWORD) -> FlaskClient:
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, "test login failed"
        return client

    return sign_in


@pytest.fixture
def audit_events(app: Flask) -> Callable[[str], list[AuditEvent]]:
    """Return the audit events with an action, oldest first."""

    def events(action: str) -> list[AuditEvent]:
        return list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ))

    return events

