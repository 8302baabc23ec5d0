"""What one generation run knows while it makes rows: the clock, the random source, the ids
handed out so far and the rows other tables refer to.

Rows are plain dicts keyed by column name, as SQLAlchemy Core inserts them; every id is
chosen here rather than by the database, so rows can refer to each other before any is
written.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.generation.answers import AnswerSet

Row = dict[str, Any]
HISTORY_DAYS = 3 * 365  # how far back the made-up history reaches


@dataclass
class Finished:
    """A vendor's latest completed assessment or finished scan, for its rating."""

    id: int
    at: dt.datetime


@dataclass
class World:
    rng: random.Random
    now: dt.datetime
    users: list[Row] = field(default_factory=list)
    officers: list[Row] = field(default_factory=list)
    versions: list[Row] = field(default_factory=list)  # questionnaire_versions rows
    vendors: list[Row] = field(default_factory=list)
    agreements: dict[int, Row] = field(default_factory=dict)  # by vendor id
    # Per vendor: the latest completed assessment with its answer sets, and the latest
    # finished scan with its findings (as rows), which the ratings read.
    completed: dict[int, tuple[Row, list[tuple[Row, AnswerSet]]]] = field(default_factory=dict)
    scanned: dict[int, tuple[Row, list[Row]]] = field(default_factory=dict)
    accepted: dict[str, str] = field(default_factory=dict)  # fingerprint -> reason
    events: list[Row] = field(default_factory=list)  # audit events, ids and hashes to come
    _ids: dict[str, Iterator[int]] = field(default_factory=dict)

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def next_id(self, table: str) -> int:
        if table not in self._ids:
            self._ids[table] = iter(range(1, 1 << 62))
        return next(self._ids[table])

    def skip_to(self, table: str, next_id: int) -> None:
        """Continue ``table``'s ids from ``next_id`` (a caller counted some itself)."""
        self._ids[table] = iter(range(next_id, 1 << 62))

    def moment(self, start: dt.datetime, end: dt.datetime | None = None) -> dt.datetime:
        """A random moment between ``start`` and ``end`` (default: now)."""
        end = end or self.now
        if end <= start:
            return end
        return start + dt.timedelta(seconds=self.rng.uniform(0, (end - start).total_seconds()))

    def days_ago(self, low: float, high: float) -> dt.datetime:
        return self.now - dt.timedelta(days=self.rng.uniform(low, high))

    def officer(self) -> Row:
        return self.rng.choice(self.officers)

    def event(self, action: str, at: dt.datetime, actor: Row | None, *,
              target: tuple[str, Any, str] | None = None, summary: str = "",
              changes: dict[str, Any] | None = None, actor_label: str = "") -> None:
        """Note an audit event as :func:`riskapp.audit.services.record` would write it."""
        self.events.append({
            "occurred_at": min(at, self.now), "actor_id": actor["id"] if actor else None,
            "actor_label": actor["email"] if actor else (actor_label or "system"),
            "action": action, "object_type": target[0] if target else "",
            "object_id": str(target[1]) if target else "",
            "object_label": target[2][:300] if target else "", "summary": summary,
            "changes": changes or {},
            "ip_address": f"10.20.{self.rng.randint(0, 9)}.{self.rng.randint(2, 250)}"
            if actor else None,
        })


def vendor_target(vendor: Row) -> tuple[str, int, str]:
    return ("vendor", vendor["id"], vendor["name"])


def spread(rng: random.Random, total: int, buckets: list[float], *,
           at_least_one: bool = True) -> list[int]:
    """Split ``total`` over buckets weighted by ``buckets``: each gets one first (while there
    are enough), the rest falls by weight."""
    counts = [0] * len(buckets)
    if not buckets:
        return counts
    first = min(total, len(buckets)) if at_least_one else 0
    for index in range(first):
        counts[index] += 1
    for index in rng.choices(range(len(buckets)), weights=buckets, k=total - first):
        counts[index] += 1
    return counts
