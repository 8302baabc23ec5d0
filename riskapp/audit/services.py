"""Write audit events and check the chain that links them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from sqlalchemy import select

from riskapp.audit.models import AuditChainHead, AuditEvent
from riskapp.database import db, utcnow

if TYPE_CHECKING:
    from riskapp.accounts.models import User

GENESIS_HASH = "0" * 64
CHAIN_HEAD_ID = 1
VERIFY_BATCH = 1000


@dataclass(frozen=True)
class AuditTarget:
    """The object an event is about, as the log shows it."""

    type: str
    id: str
    label: str


def record(
    action: str,
    *,
    actor: User | None,
    target: AuditTarget | None = None,
    summary: str = "",
    changes: Mapping[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append an event to the chain in the caller's transaction (it commits with the change).

    ``actor_label`` names an actor that has no account, such as the email typed into a failed
    sign-in.
    """
    head = db.session.execute(
        select(AuditChainHead)
        .where(AuditChainHead.id == CHAIN_HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else (actor_label or "system"),
        action=action,
        object_type=target.type if target else "",
        object_id=target.id if target else "",
        object_label=target.label[:300] if target else "",
        summary=summary,
        changes=jsonable(dict(changes or {})),
        ip_address=request.remote_addr if has_request_context() else None,
        previous_hash=head.last_hash,
    )
    event.entry_hash = hash_event(event)
    db.session.add(event)
    db.session.flush()
    head.last_event_id = event.id
    head.last_hash = event.entry_hash
    return event


def hash_event(event: AuditEvent) -> str:
    """Return the SHA-256 over an event's content and the hash of the event before it."""
    content = {
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_label": event.object_label,
        "summary": event.summary,
        "changes": event.changes,
        "ip_address": event.ip_address,
        "previous_hash": event.previous_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def jsonable(value: Any) -> Any:
    """Turn dates, enums and sets into the JSON values the hash and the database agree on."""
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return ``{field: {"before": old, "after": new}}`` for the fields that changed.

    A field going from missing to empty is no change: a new object's blank fields would only
    bury the ones that say something.
    """
    return {
        key: {"before": jsonable(before.get(key)), "after": jsonable(after.get(key))}
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
        and not (_is_blank(before.get(key)) and _is_blank(after.get(key)))
    }


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


@dataclass(frozen=True)
class ChainBreak:
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    events_checked: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def verify_chain() -> ChainReport:
    """Walk the whole log in order and report the first event that does not link up."""
    expected_previous = GENESIS_HASH
    checked = 0
    last_id: int | None = None
    for event in _events_in_order():
        if event.previous_hash != expected_previous:
            return ChainReport(
                checked,
                ChainBreak(event.id, "does not link to the event before it "
                           "(an event was removed or reordered)"),
            )
        if hash_event(event) != event.entry_hash:
            return ChainReport(
                checked, ChainBreak(event.id, "its content was changed after it was written")
            )
        expected_previous = event.entry_hash
        last_id = event.id
        checked += 1
    head = db.session.get(AuditChainHead, CHAIN_HEAD_ID)
    if head is None or head.last_hash != expected_previous:
        return ChainReport(
            checked,
            ChainBreak(last_id, "the newest events are missing (the log was truncated)"),
        )
    return ChainReport(checked, None)


def _events_in_order() -> Iterator[AuditEvent]:
    after_id = 0
    while True:
        batch = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id)
            .limit(VERIFY_BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        after_id = batch[-1].id
        db.session.expunge_all()
