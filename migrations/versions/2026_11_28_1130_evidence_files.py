"""Evidence files vendors attach to their answers.

Revision ID: 3f6a0d2b9c71
Revises: 9e1f4b7c2a58
Create Date: 2026-11-28 11:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f6a0d2b9c71"
down_revision: str | None = "9e1f4b7c2a58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=300), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"],
                                name=op.f("fk_evidence_files_assessment_id_assessments"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["questionnaire_version_id"], ["questionnaire_versions.id"],
                                name="fk_evidence_files_version", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
    )
    op.create_index(op.f("ix_evidence_files_assessment_id"), "evidence_files",
                    ["assessment_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_files_assessment_id"), table_name="evidence_files")
    op.drop_table("evidence_files")
