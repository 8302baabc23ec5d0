"""Published questionnaire versions, each a frozen snapshot of its definition.

Revision ID: 5b8e1f0c7d24
Revises: 4a9d7c2e5f13
Create Date: 2026-11-28 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b8e1f0c7d24"
down_revision: str | None = "4a9d7c2e5f13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"],
            name=op.f("fk_questionnaire_versions_published_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_versions")),
        sa.UniqueConstraint("questionnaire_id", "version",
                            name=op.f("uq_questionnaire_versions_questionnaire_id_version")),
    )
    op.create_index(op.f("ix_questionnaire_versions_questionnaire_id"),
                    "questionnaire_versions", ["questionnaire_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_questionnaire_versions_questionnaire_id"),
                  table_name="questionnaire_versions")
    op.drop_table("questionnaire_versions")
