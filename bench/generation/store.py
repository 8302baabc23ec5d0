"""Make the bench database empty, then fill it fast: ``executemany`` on SQLite (no journal,
no fsync, foreign keys enforced), ``COPY`` on PostgreSQL (foreign key triggers off while
loading, as a restore does, when the bench's role may do that).

Every value goes through the bind processor SQLAlchemy would apply for its column (UTC
timestamps, JSON, dates), so a row reads back exactly as one the app wrote itself; only JSON
already serialised (:class:`RawJSON`, the shared answer sets) is passed through as it is.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from riskapp.database import UTCDateTime

# Databases a bench run must never wipe: the server's own, and the one the test suite uses.
PROTECTED_DATABASES = frozenset({"postgres", "template0", "template1", "test"})


class RawJSON(str):
    """JSON text, stored as it is rather than serialised again."""

    __slots__ = ()


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def reset_database(database_url: str) -> None:
    """Delete the SQLite file, or create the PostgreSQL database and empty its schema."""
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        return
    url = make_url(database_url)
    if url.database in PROTECTED_DATABASES or not url.database:
        raise ValueError(f"refusing to wipe the database {url.database!r}: give the bench its "
                         "own, such as postgresql://postgres@127.0.0.1:5432/bench")
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT",
                              poolclass=NullPool)
    with server.connect() as connection:
        exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                    {"name": url.database}).scalar()
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    server.dispose()
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def bulk_engine(database_url: str) -> sa.Engine:
    """An engine for loading: on SQLite without a journal or fsync (a throwaway database that
    is rebuilt if anything fails), foreign keys still enforced."""
    engine = sa.create_engine(database_url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _loading_pragmas)
    return engine


def _loading_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=ON",
                   "cache_size=-262144", "temp_store=MEMORY"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


class Store:
    """Inserts rows into one connection's transaction and counts them."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}  # CPU seconds per table, making rows included

    def insert(self, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
        """Insert dict rows (keys that are not columns are ignored)."""
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        columns = [column.name for column in table.columns if column.name in first]

        def tuples() -> Iterator[tuple[Any, ...]]:
            yield tuple(first[name] for name in columns)
            for row in iterator:
                yield tuple(row[name] for name in columns)

        return self.insert_tuples(table, columns, tuples())

    def insert_tuples(self, table: sa.Table, columns: list[str],
                      rows: Iterable[tuple[Any, ...]], *, encoded: bool = False) -> int:
        """Insert rows given as tuples in the order of ``columns``; ``encoded`` when their
        values went through :meth:`processor` already."""
        started = time.process_time()
        counted = _Counter(iter(rows) if encoded else map(self._encoder(table, columns), rows))
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        if self.dialect.name == "postgresql":
            names = ", ".join(f'"{name}"' for name in columns)
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in counted:
                    copy.write_row(row)
        else:
            statement = str(table.insert().compile(dialect=self.dialect, column_keys=columns))
            cursor.executemany(statement, counted)
        cursor.close()
        self.counts[table.name] = self.counts.get(table.name, 0) + counted.count
        self.seconds[table.name] = self.seconds.get(table.name, 0) + time.process_time() - started
        return counted.count

    def processor(self, table: sa.Table, column: str) -> Callable[[Any], Any]:
        """What a value of the column is turned into before it is stored."""
        return _processor(table.c[column].type, self.dialect) or (lambda value: value)

    def _encoder(self, table: sa.Table, columns: list[str]
                 ) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
        processors = [_processor(table.c[name].type, self.dialect) for name in columns]
        active = [(index, process) for index, process in enumerate(processors) if process]
        if not active:
            return lambda row: row

        def encode(row: tuple[Any, ...]) -> tuple[Any, ...]:
            values = list(row)
            for index, process in active:
                if values[index] is not None:
                    values[index] = process(values[index])
            return tuple(values)

        return encode

    def reset_sequences(self) -> None:
        """Ids were chosen here, so PostgreSQL's sequences must be moved past them."""
        if self.dialect.name != "postgresql":
            return
        for name in self.counts:
            table = sa.table(name, sa.column("id"))
            highest = sa.func.max(table.c.id)
            self.connection.execute(sa.select(sa.func.setval(
                sa.func.pg_get_serial_sequence(f'"{name}"', "id"),
                sa.func.coalesce(highest, 1), highest.is_not(None))))


def _processor(column_type: Any, dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    process = column_type._cached_bind_processor(dialect)
    if isinstance(column_type, sa.JSON):
        serialise = process or json.dumps
        return lambda value: value if isinstance(value, RawJSON) else serialise(value)
    if isinstance(column_type, UTCDateTime) and dialect.name == "sqlite" and process:
        return _faster(process, _sqlite_timestamp)
    return process


def _sqlite_timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _faster(process: Callable[[Any], Any], fast: Callable[[Any], Any]
            ) -> Callable[[Any], Any]:
    """``fast`` where it gives what ``process`` gives (checked on a few values), else
    ``process``: SQLAlchemy formats timestamps for SQLite in Python, slowly."""
    samples = [dt.datetime(2026, 11, 28, 7, 5, 3, 120, tzinfo=dt.UTC),
               dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=-5)))]
    return fast if all(fast(v) == process(v) for v in samples) else process


class _Counter:
    """Counts what passes through an iterator (executemany and COPY consume it)."""

    def __init__(self, items: Iterator[Any]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> _Counter:
        return self

    def __next__(self) -> Any:
        item = next(self.items)
        self.count += 1
        return item


def finish(database_url: str) -> None:
    """Leave the database as the app expects it, with planner statistics: SQLite back in
    WAL mode, PostgreSQL vacuumed (so autovacuum does not start under the benchmarks)."""
    engine = sa.create_engine(database_url, poolclass=NullPool,
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def database_bytes(database_url: str) -> int:
    path = sqlite_path(database_url)
    if path is not None:
        wal = Path(f"{path}-wal")
        return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    engine = sa.create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        size = connection.execute(sa.text("SELECT pg_database_size(current_database())"))
        result = int(size.scalar_one())
    engine.dispose()
    return result


def table_counts(database_url: str, tables: Iterable[sa.Table]) -> dict[str, int]:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        counts = {table.name: int(connection.execute(
            sa.select(sa.func.count()).select_from(table)).scalar_one()) for table in tables}
    engine.dispose()
    return counts


@contextmanager
def loading(database_url: str) -> Iterator[Store]:
    """One transaction for the whole load."""
    engine = bulk_engine(database_url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql" and connection.exec_driver_sql(
                    "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar():
                # Skip the foreign key triggers while loading, as a restore does: the rows
                # are the ones SQLite loads with its foreign keys enforced.
                connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            store = Store(connection)
            yield store
            store.reset_sequences()
    finally:
        engine.dispose()
