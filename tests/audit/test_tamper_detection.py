"""`flask audit verify` catches someone who goes around the triggers to rewrite history.

Each test plays an attacker with rights on the database: the ``guard_bypassed`` fixture lifts
the append-only triggers for one transaction, the attacker rewrites ``audit_events`` with raw
SQL, and the chain has to give them away.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from riskapp.audit.models import AuditEvent
from riskapp.database import db

Bypass = Callable[[], AbstractContextManager[None]]


@pytest.fixture
def three_events(record_event: Callable[..., int]) -> list[int]:
    return [record_event(f"Event {number}") for number in range(1, 4)]


def test_changed_summary_is_reported_at_that_event(
    three_events: list[int], guard_bypassed: Bypass, runner: FlaskCliRunner,
) -> None:
    _, middle, _ = three_events
    with guard_bypassed():
        db.session.execute(
            text("UPDATE audit_events SET summary = 'Nothing to see here' WHERE id = :id"),
            {"id": middle},
        )

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code != 0
    assert f"Audit trail broken at event {middle}" in result.output
    assert "changed" in result.output
    assert "1 events before it verified" in result.output


def test_changed_changes_are_reported_at_that_event(
    record_event: Callable[..., int], guard_bypassed: Bypass, runner: FlaskCliRunner,
) -> None:
    event_id = record_event(changes={"criticality": {"before": "high", "after": "low"}})
    with guard_bypassed():
        db.session.execute(
            update(AuditEvent.__table__)
            .where(AuditEvent.id == event_id)
            .values(changes={"criticality": {"before": "low", "after": "low"}})
        )

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code != 0
    assert f"event {event_id}" in result.output
    assert "changed" in result.output


def test_deleted_middle_event_is_reported_at_the_next_event(
    three_events: list[int], guard_bypassed: Bypass, runner: FlaskCliRunner,
) -> None:
    _, middle, newest = three_events
    with guard_bypassed():
        db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": middle})

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code != 0
    assert f"Audit trail broken at event {newest}" in result.output
    assert "does not link to the event before it" in result.output


def test_deleted_first_event_is_reported_at_the_next_event(
    three_events: list[int], guard_bypassed: Bypass, runner: FlaskCliRunner,
) -> None:
    first, second, _ = three_events
    with guard_bypassed():
        db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": first})

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code != 0
    assert f"Audit trail broken at event {second}" in result.output
    assert "does not link" in result.output


def test_deleted_newest_event_is_reported_as_truncation(
    three_events: list[int], guard_bypassed: Bypass, runner: FlaskCliRunner,
) -> None:
    _, middle, newest = three_events
    with guard_bypassed():
        # The chain head's foreign key forces the attacker to point it at the event before.
        db.session.execute(text("UPDATE audit_chain_head SET last_event_id = :id"),
                           {"id": middle})
        db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": newest})

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code != 0
    assert "truncated" in result.output
    assert "2 events before it verified" in result.output


def test_guard_is_back_after_a_simulated_bypass(
    three_events: list[int], guard_bypassed: Bypass,
) -> None:
    with guard_bypassed():
        pass

    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("DELETE FROM audit_events"))
    db.session.rollback()


def test_guard_is_back_after_a_bypass_that_failed(
    three_events: list[int], guard_bypassed: Bypass,
) -> None:
    with pytest.raises(RuntimeError, match="attacker tripped"), guard_bypassed():
        raise RuntimeError("attacker tripped")

    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("UPDATE audit_events SET summary = ''"))
    db.session.rollback()
