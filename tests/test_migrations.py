"""Alembic migrations are the only way the schema changes, and they agree with the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from riskapp.database import Base, db
from riskapp.migrate import alembic_config, downgrade, upgrade
from tests.conftest import POSTGRES_URL, build_app, reset_postgres_schema


@pytest.fixture
def empty_app(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An app on a database with no tables at all."""
    if backend == "sqlite":
        app = build_app(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    else:
        request.getfixturevalue("postgres_schema")  # other tests' schema: restore it after
        app = build_app(POSTGRES_URL, tmp_path)
    with app.app_context():
        if backend == "postgresql":
            reset_postgres_schema(db.engine)
        yield app
        if backend == "postgresql":
            reset_postgres_schema(db.engine)
            upgrade(db.engine)
        db.engine.dispose()


def revisions_oldest_first() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(db.engine))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_an_empty_database_upgrades_to_head(empty_app: Flask) -> None:
    upgrade(db.engine)
    assert current_revision() == revisions_oldest_first()[-1]
    assert {"users", "vendors", "vendor_domains", "audit_events"} <= table_names()


def test_every_migration_downgrades_and_upgrades_again(empty_app: Flask) -> None:
    """The stairway: each step up, one step down, and up again, from empty to head."""
    before = None
    for revision in revisions_oldest_first():
        upgrade(db.engine, revision)
        tables_at_step = table_names()
        downgrade(db.engine, before or "base")
        assert current_revision() == before
        upgrade(db.engine, revision)
        assert current_revision() == revision
        assert table_names() == tables_at_step
        before = revision
    downgrade(db.engine, "base")
    assert table_names() <= {"alembic_version"}


def test_the_models_match_the_migrated_schema(empty_app: Flask) -> None:
    upgrade(db.engine)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_the_migration_history_has_one_head(empty_app: Flask) -> None:
    script = ScriptDirectory.from_config(alembic_config(db.engine))
    assert len(script.get_heads()) == 1
