"""Vendor name key: one vendor per name, however it is capitalised or spaced.

Uniqueness was checked by scanning lower(name), which used no index, folded only ASCII on
SQLite and let two simultaneous requests both pass on PostgreSQL. A stored, casefolded key
with a unique constraint fixes all three.

Revision ID: 1e6f3a8b2c47
Revises: d7a3b9e04c58
Create Date: 2026-11-28 08:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1e6f3a8b2c47"
down_revision: str | None = "d7a3b9e04c58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

vendors = sa.table(
    "vendors", sa.column("id", sa.Integer), sa.column("name", sa.String),
    sa.column("name_key", sa.String),
)


def name_key(name: str) -> str:
    # Kept here, not imported from the app, so this revision never changes meaning.
    return " ".join(name.casefold().split())


def upgrade() -> None:
    with op.batch_alter_table("vendors") as batch:
        batch.add_column(sa.Column("name_key", sa.String(length=200), nullable=True))
    connection = op.get_bind()
    for vendor_id, name in connection.execute(sa.select(vendors.c.id, vendors.c.name)).all():
        connection.execute(
            vendors.update().where(vendors.c.id == vendor_id).values(name_key=name_key(name))
        )
    with op.batch_alter_table("vendors") as batch:
        batch.alter_column("name_key", existing_type=sa.String(length=200), nullable=False)
        batch.create_unique_constraint(op.f("uq_vendors_name_key"), ["name_key"])
        batch.drop_index(op.f("ix_vendors_name"))


def downgrade() -> None:
    with op.batch_alter_table("vendors") as batch:
        batch.create_index(op.f("ix_vendors_name"), ["name"])
        batch.drop_constraint(op.f("uq_vendors_name_key"), type_="unique")
        batch.drop_column("name_key")
