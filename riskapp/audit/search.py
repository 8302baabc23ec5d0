"""Finding and exporting audit events for the admin log page."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select

from riskapp.audit.models import AuditEvent
from riskapp.database import db
from riskapp.spreadsheet_safety import neutralise_formula

EXPORT_BATCH = 1000
EXPORT_COLUMNS = (
    "id", "occurred_at", "actor", "action", "object_type", "object_id", "object",
    "summary", "changes", "ip_address", "previous_hash", "entry_hash",
)


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args: Any) -> AuditFilter:
        return cls(
            action=(args.get("action") or "").strip(),
            actor=(args.get("actor") or "").strip().lower(),
            object_type=(args.get("object_type") or "").strip(),
            object_id=(args.get("object_id") or "").strip(),
            since=_parse_date(args.get("since")),
            until=_parse_date(args.get("until")),
        )

    def as_args(self) -> dict[str, str]:
        values = {
            "action": self.action, "actor": self.actor, "object_type": self.object_type,
            "object_id": self.object_id,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {key: value for key, value in values.items() if value}


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def event_select(filters: AuditFilter) -> Select[tuple[AuditEvent]]:
    """Return matching events, newest first."""
    statement = select(AuditEvent)
    if filters.action:
        statement = statement.where(AuditEvent.action == filters.action)
    if filters.actor:
        statement = statement.where(AuditEvent.actor_label.contains(filters.actor, autoescape=True))
    if filters.object_type:
        statement = statement.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        statement = statement.where(AuditEvent.object_id == filters.object_id)
    if filters.since:
        statement = statement.where(
            AuditEvent.occurred_at >= datetime.combine(filters.since, time.min, UTC)
        )
    if filters.until and filters.until < date.max:  # the calendar's last day bounds nothing
        end = datetime.combine(filters.until + timedelta(days=1), time.min, UTC)
        statement = statement.where(AuditEvent.occurred_at < end)
    return statement.order_by(AuditEvent.id.desc())


def known_actions() -> list[str]:
    return list(db.session.scalars(
        select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    ))


def known_object_types() -> list[str]:
    return list(db.session.scalars(
        select(AuditEvent.object_type).distinct()
        .where(AuditEvent.object_type != "").order_by(AuditEvent.object_type)
    ))


def export_csv_chunks(events: Iterable[AuditEvent]) -> Iterator[str]:
    """Yield the events as CSV text a batch at a time: the log only grows, so never hold it all."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for count, event in enumerate(events, start=1):
        row = [
            str(event.id), event.occurred_at.isoformat(), event.actor_label, event.action,
            event.object_type, event.object_id, event.object_label, event.summary,
            _changes_text(event.changes), event.ip_address or "", event.previous_hash,
            event.entry_hash,
        ]
        writer.writerow([neutralise_formula(cell) for cell in row])
        if count % EXPORT_BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _changes_text(changes: dict[str, Any]) -> str:
    return json.dumps(changes, sort_keys=True, ensure_ascii=False) if changes else ""
