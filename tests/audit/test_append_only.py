"""The database itself refuses to change or remove audit events, whatever the app asks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from riskapp.audit.models import AuditEvent
from riskapp.database import db

REFUSAL = "audit events are append-only"


def stored_summary(event_id: int) -> str:
    return db.session.execute(
        text("SELECT summary FROM audit_events WHERE id = :id"), {"id": event_id}
    ).scalar_one()


def test_database_refuses_to_update_an_event(record_event: Callable[..., int]) -> None:
    event_id = record_event("Original")

    with pytest.raises(DBAPIError, match=REFUSAL):
        db.session.execute(
            text("UPDATE audit_events SET summary = 'Rewritten' WHERE id = :id"), {"id": event_id}
        )
    db.session.rollback()

    assert stored_summary(event_id) == "Original"


def test_database_refuses_to_delete_an_event(record_event: Callable[..., int]) -> None:
    event_id = record_event("Keep me")

    with pytest.raises(DBAPIError, match=REFUSAL):
        db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": event_id})
    db.session.rollback()

    assert stored_summary(event_id) == "Keep me"


def test_database_refuses_an_update_made_through_the_orm(
    record_event: Callable[..., int],
) -> None:
    event_id = record_event("Original")
    event = db.session.get(AuditEvent, event_id)
    assert event is not None

    event.summary = "Rewritten"
    with pytest.raises(DBAPIError, match=REFUSAL):
        db.session.flush()
    db.session.rollback()

    assert stored_summary(event_id) == "Original"


def test_database_refuses_a_delete_made_through_the_orm(
    record_event: Callable[..., int],
) -> None:
    event_id = record_event("Keep me")
    event = db.session.get(AuditEvent, event_id)

    db.session.delete(event)
    with pytest.raises(DBAPIError, match=REFUSAL):
        db.session.flush()
    db.session.rollback()

    assert stored_summary(event_id) == "Keep me"


def test_database_still_accepts_new_events(record_event: Callable[..., int]) -> None:
    record_event("First")
    record_event("Second")

    count = db.session.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    assert count == 2


def test_database_refuses_to_empty_the_whole_log_at_once(
    backend: str, record_event: Callable[..., int]
) -> None:
    event_id = record_event("Still here")
    wipe = {"postgresql": "TRUNCATE audit_events CASCADE", "sqlite": "DELETE FROM audit_events"}


    with pytest.raises(DBAPIError, match=REFUSAL):
        db.session.execute(text(wipe[backend]))
    db.session.rollback()

    assert stored_summary(event_id) == "Still here"
