"""Alembic environment: migrate the engine riskapp hands over (see riskapp/migrate.py)."""

from contextlib import contextmanager

from alembic import context
from sqlalchemy.engine import Connection

# Import every model module so autogenerate sees the whole schema.
from riskapp.accounts import models as _accounts  # noqa: F401
from riskapp.agreements import models as _agreements  # noqa: F401
from riskapp.assessments import models as _assessments  # noqa: F401
from riskapp.audit import models as _audit  # noqa: F401
from riskapp.database import Base, UTCDateTime
from riskapp.questionnaires import models as _questionnaires  # noqa: F401
from riskapp.reminders import models as _reminders  # noqa: F401
from riskapp.scans import models as _scans  # noqa: F401
from riskapp.scoring import models as _scoring  # noqa: F401
from riskapp.vendors import models as _vendors  # noqa: F401

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    raise RuntimeError("Run migrations through `flask db upgrade`, which supplies the engine.")


@contextmanager
def sqlite_foreign_keys_off(connection: Connection):
    """Batch migrations rebuild SQLite tables; enforced foreign keys would cascade on the drop.

    The pragma is ignored inside a transaction, so set it on the raw connection first, and
    check every reference once the migration is done.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def render_portable_types(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write riskapp's UTC timestamp as a plain timestamp, so revisions never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


with engine.connect() as connection, sqlite_foreign_keys_off(connection):
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_portable_types,
    )
    with context.begin_transaction():
        context.run_migrations()
