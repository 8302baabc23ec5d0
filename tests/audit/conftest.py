"""Fixtures for the audit trail's tests: writing events, and going around the append-only guard."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from riskapp.accounts.models import User
from riskapp.audit import services as audit
from riskapp.database import db

SQLITE_GUARD_TRIGGERS = ("audit_events_no_update", "audit_events_no_delete")
POSTGRES_GUARD_TRIGGER = "audit_events_append_only"


@pytest.fixture
def record_event(app: Flask) -> Callable[..., int]:
    """Return a function that appends one event, commits it and returns the event's id."""

    def record(
        summary: str = "Something happened",
        *,
        action: str = "test.event",
        actor: User | None = None,
        target: audit.AuditTarget | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> int:
        event = audit.record(action, actor=actor, target=target, summary=summary,
                             changes=changes)
        event_id = event.id  # read before the commit expires it
        db.session.commit()
        return event_id

    return record


@pytest.fixture
def guard_bypassed(app: Flask) -> Callable[[], AbstractContextManager[None]]:
    """Return a context manager that acts as an attacker with rights on the database.

    Inside the block the append-only triggers are off, so raw SQL can rewrite audit events. The
    bypass, the tampering and the restored triggers commit as one transaction (DDL is
    transactional on both backends); if the block fails, the rollback restores the triggers
    too. Either way the bypass never outlives the block, which matters on PostgreSQL, where
    every test shares one schema.
    """

    @contextmanager
    def bypassed() -> Iterator[None]:
        session = db.session
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(
                f"ALTER TABLE audit_events DISABLE TRIGGER {POSTGRES_GUARD_TRIGGER}"
            ))
            restore = [f"ALTER TABLE audit_events ENABLE TRIGGER {POSTGRES_GUARD_TRIGGER}"]
        else:
            restore = [
                session.execute(
                    text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
                    {"name": name},
                ).scalar_one()
                for name in SQLITE_GUARD_TRIGGERS
            ]
            for name in SQLITE_GUARD_TRIGGERS:
                session.execute(text(f"DROP TRIGGER {name}"))
        try:
            yield
        except BaseException:
            session.rollback()
            raise
        for statement in restore:
            session.execute(text(statement))
        session.commit()

    return bypassed
