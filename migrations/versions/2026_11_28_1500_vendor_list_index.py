"""An index giving the vendor list's usual order (working vendors by name) without a sort.

Revision ID: d2f7a1c9e4b6
Revises: ca85436901a3
Create Date: 2026-11-28 15:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'd2f7a1c9e4b6'
down_revision: str | None = 'ca85436901a3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_vendors_working_by_name', 'vendors', ['archived_at', 'name_key'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_vendors_working_by_name', table_name='vendors')
