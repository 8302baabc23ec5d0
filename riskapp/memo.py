"""Results worth keeping between requests until the data they were computed from changes.

Every change to the data appends an event to the audit chain (the app's rule, held route by
route by the tests; a finished scan shows through the vendor's new rating, which is audited),
and the chain head holds the newest event's hash. So that hash names the
state of the data: a result computed while it was ``h`` holds until it is something else.
Reading it is one primary-key lookup, where the results kept here (every vendor's deadlines,
the BAA standing of every PHI vendor) take a scan of thousands of rows.

The hash, not the event id: an event written in a transaction that is rolled back may see its
id given again to a different event, never its hash. Each process keeps its own results;
nothing is shared between gunicorn workers, so nothing can be stale across them. Rows written
behind the app's back (a SQL console, a test factory adding rows directly) show once the next
audited change is made or the key changes, as it does when the day turns.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from riskapp.audit.models import AuditChainHead
from riskapp.audit.services import CHAIN_HEAD_ID
from riskapp.database import db

T = TypeVar("T")
_EXTENSION = "riskapp.memo"


def data_version() -> str:
    """The hash of the newest audit event: it changes whenever the data does."""
    return db.session.scalar(select(AuditChainHead.last_hash)
                             .where(AuditChainHead.id == CHAIN_HEAD_ID)) or ""


def until_data_changes(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave before for the same ``name`` and ``key`` if the data has
    not changed since. Call it only where nothing has been written yet in the transaction:
    a result computed from uncommitted rows must not outlive them."""
    kept: dict[str, tuple[tuple[str, Hashable], object]] = current_app.extensions.setdefault(
        _EXTENSION, {})
    stamp = (data_version(), key)
    found = kept.get(name)
    if found is not None and found[0] == stamp:
        return found[1]  # type: ignore[return-value]
    value = compute()
    if not _writing_pending():
        kept[name] = (stamp, value)  # one assignment: threads of a worker may race, harmlessly
    return value


def _writing_pending() -> bool:
    session = db.session
    return bool(session.new or session.dirty or session.deleted or session.info.get(_WROTE))


_WROTE = "riskapp.memo.wrote"  # set in ``Session.info`` from a write until commit or rollback


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _ended(session: Session) -> None:
    session.info.pop(_WROTE, None)
