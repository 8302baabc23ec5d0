"""A running scan's heartbeat, so a scan whose worker was killed can be told from a live one.

Revision ID: 3c5e8a1f7b92
Revises: 7e3b9d4f2a18
Create Date: 2026-11-28 19:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c5e8a1f7b92"
down_revision: str | None = "7e3b9d4f2a18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as scans:
        scans.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scans") as scans:
        scans.drop_column("heartbeat_at")
