"""Audit trail: refuse TRUNCATE too on PostgreSQL.

Row triggers do not fire on TRUNCATE, so the append-only guard let the whole log be emptied
in one statement. SQLite has no TRUNCATE (its DELETE fires the row triggers), so this
revision changes nothing there.

Revision ID: 4a9d7c2e5f13
Revises: 1e6f3a8b2c47
Create Date: 2026-11-28 08:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "4a9d7c2e5f13"
down_revision: str | None = "1e6f3a8b2c47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
