"""Vendor scores: each rating with the scoring profile it used.

Revision ID: b4c8e2f6a913
Revises: 3f6a0d2b9c71
Create Date: 2026-11-28 12:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b4c8e2f6a913"
down_revision: str | None = "3f6a0d2b9c71"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vendor_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("assessed", sa.Boolean(), nullable=False),
        sa.Column("profile_id", sa.String(length=64), nullable=False),
        sa.Column("profile_version", sa.String(length=20), nullable=False),
        sa.Column("profile_hash", sa.String(length=64), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("scan_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("computed_by_id", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"],
                                name=op.f("fk_vendor_scores_assessment_id_assessments"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["computed_by_id"], ["users.id"],
                                name=op.f("fk_vendor_scores_computed_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["scan_id"], ["scans.id"],
                                name=op.f("fk_vendor_scores_scan_id_scans"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["vendor_id"], ["vendors.id"],
                                name=op.f("fk_vendor_scores_vendor_id_vendors"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor_scores")),
    )
    op.create_index(op.f("ix_vendor_scores_vendor_id"), "vendor_scores", ["vendor_id"])
    op.create_index(op.f("ix_vendor_scores_tier"), "vendor_scores", ["tier"])


def downgrade() -> None:
    op.drop_index(op.f("ix_vendor_scores_tier"), table_name="vendor_scores")
    op.drop_index(op.f("ix_vendor_scores_vendor_id"), table_name="vendor_scores")
    op.drop_table("vendor_scores")
