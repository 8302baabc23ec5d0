"""SQLite, the embedded default, is set up for a multi-user web app."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from riskapp.database import db
from riskapp.vendors.models import VendorDomain


@pytest.fixture
def backend() -> str:
    return "sqlite"


def pragma(name: str) -> object:
    return db.session.execute(text(f"PRAGMA {name}")).scalar()


def test_the_database_runs_in_wal_mode(app: Flask) -> None:
    assert pragma("journal_mode") == "wal"


def test_foreign_keys_are_enforced(app: Flask) -> None:
    db.session.add(VendorDomain(vendor_id=424242, domain="orphan.example", is_primary=True))
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        db.session.flush()


def test_a_busy_database_is_waited_for_not_failed_at_once(app: Flask) -> None:
    assert pragma("busy_timeout") == 10_000


def test_the_default_database_lives_in_the_instance_folder(tmp_path) -> None:
    from tests.conftest import build_app

    app = build_app("", tmp_path / "instance")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/instance/riskapp.db"
