"""Alembic migrations are the only way the schema changes, and they agree with the models."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from riskapp.audit.services import verify_chain
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


def row_counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        return {name: connection.execute(
                    sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
                for name in table_names()}


def test_a_database_full_of_bench_data_keeps_every_row_through_the_migrations(
        tmp_path: Path) -> None:
    """Filled by the bench generator, the database is walked back one migration at a time for
    as long as no step would drop a table holding rows, then upgraded to head again: every
    row of every table is still there, and the app reads them (the audit chain verifies)."""
    from bench.generate import Scale, generate  # the bench is not imported by the app

    database, checkpoint = tmp_path / "riskapp.db", tmp_path / "checkpoint.db"
    url = f"sqlite:///{database}"
    generate(url, Scale.of(0.002), instance_path=tmp_path / "instance")
    app = build_app(url, tmp_path / "app")
    with app.app_context():
        revisions = revisions_oldest_first()
        before = row_counts()
        for revision in reversed(revisions[:-1]):
            populated = {name for name, count in row_counts().items() if count}
            db.engine.dispose()
            shutil.copyfile(database, checkpoint)
            downgrade(db.engine, revision)
            if populated - table_names():  # that step drops data: undo it, and stop here
                db.engine.dispose()
                shutil.copyfile(checkpoint, database)
                break
        walked_back_to = current_revision()
        upgrade(db.engine)
        after = row_counts()
        intact = verify_chain().intact
        db.engine.dispose()

    assert walked_back_to != revisions[-1]
    assert {name: count for name, count in after.items() if name in before} == before
    assert before["assessment_answers"] > 1000
    assert intact
