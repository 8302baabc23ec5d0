"""The SQLAlchemy base, the session extension and the SQLite connection rules.

SQLite is the embedded default, so it gets what a multi-user web app needs from it: WAL (readers
never block the writer), enforced foreign keys, a busy timeout, and write transactions that
take the write lock when they begin. With SQLite's default deferred transactions, two requests
that both read and then write deadlock on the lock upgrade and one fails at once with "database
is locked", busy timeout or not. PostgreSQL needs none of this.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Engine, MetaData, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Stable constraint names, so migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite has no time zones and returns naive datetimes; comparing those with aware ones
    raises, so normalise at the boundary instead of everywhere else.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


def configure_sqlite(engine: Engine) -> None:
    """Apply riskapp's SQLite rules to every connection ``engine`` opens."""
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event: pysqlite's own would issue a
    # deferred BEGIN behind our back.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite's lower() folds only ASCII; vendor names are not all English.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _on_sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql(f"BEGIN {sqlite_begin_mode()}")


def sqlite_begin_mode() -> str:
    """Return ``DEFERRED`` for safe-method requests and ``IMMEDIATE`` everywhere else.

    Pages answering GET never write, so they read alongside a writer; everything else (form
    posts, CLI commands, jobs) takes the write lock up front and queues on the busy timeout.
    """
    if has_request_context() and request.method in READ_ONLY_METHODS:
        return "DEFERRED"
    return "IMMEDIATE"


def read_json(text: str | bytes) -> Any:
    """A JSON column's value: orjson reads the answers three times as fast as the standard
    library (a rescore reads a million); what it refuses (NaN, integers past 64 bits, which
    json.dumps writes) goes to the standard library."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
