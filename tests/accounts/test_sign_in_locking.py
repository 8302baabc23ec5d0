"""Checking a password, slow by design, never holds SQLite's write lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from flask import Flask

from riskapp.accounts import services as accounts
from riskapp.accounts.models import User
from tests.conftest import PASSWORD, Browser


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_other_writers_are_not_kept_waiting_while_a_password_is_checked(
    app: Flask, browser: Browser, make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = make_user()
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    could_write: list[bool] = []
    verify = accounts.verify_password

    def verify_while_another_connection_writes(password_hash: str | None, password: str) -> bool:
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            could_write.append(True)
        except sqlite3.OperationalError:
            could_write.append(False)
        finally:
            other.close()
        return verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", verify_while_another_connection_writes)

    response = browser.login(user.email, PASSWORD)

    assert response.status_code == 302
    assert could_write == [True]
