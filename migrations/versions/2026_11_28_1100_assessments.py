"""Assessments: the questionnaires sent, the answers, share links and clarifications.

Revision ID: 7c2d9e4a1b36
Revises: 5b8e1f0c7d24
Create Date: 2026-11-28 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c2d9e4a1b36"
down_revision: str | None = "5b8e1f0c7d24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _versions_fk(table: str) -> sa.ForeignKeyConstraint:
    # Named by hand in the models too: the convention's names pass PostgreSQL's 63 characters.
    return sa.ForeignKeyConstraint(
        ["questionnaire_version_id"], ["questionnaire_versions.id"],
        name=f"fk_{table}_version", ondelete="RESTRICT")


def _assessment_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["assessment_id"], ["assessments.id"],
        name=op.f(f"fk_{table}_assessment_id_assessments"), ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("respondent_name", sa.String(length=200), nullable=False),
        sa.Column("respondent_email", sa.String(length=254), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attestation", sa.JSON(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("score_floor", sa.String(length=20), nullable=True),
        sa.Column("inherent_risk", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["vendor_id"], ["vendors.id"],
                                name=op.f("fk_assessments_vendor_id_vendors"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["previous_id"], ["assessments.id"],
                                name=op.f("fk_assessments_previous_id_assessments"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_assessments_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    for column in ("vendor_id", "status", "due_date", "last_activity_at"):
        op.create_index(op.f(f"ix_assessments_{column}"), "assessments", [column])
    op.create_table(
        "assessment_questionnaires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _assessment_fk("assessment_questionnaires"),
        _versions_fk("assessment_questionnaires"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_questionnaires")),
        sa.UniqueConstraint("assessment_id", "questionnaire_version_id",
                            name="uq_assessment_questionnaires_version"),
    )
    op.create_index(op.f("ix_assessment_questionnaires_assessment_id"),
                    "assessment_questionnaires", ["assessment_id"])
    op.create_table(
        "assessment_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _assessment_fk("assessment_answers"),
        _versions_fk("assessment_answers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_answers")),
        sa.UniqueConstraint("assessment_id", "questionnaire_version_id", "question_id",
                            name="uq_assessment_answers_question"),
    )
    op.create_index(op.f("ix_assessment_answers_assessment_id"), "assessment_answers",
                    ["assessment_id"])
    op.create_table(
        "share_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        _assessment_fk("share_links"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_share_links_token_hash")),
    )
    op.create_index(op.f("ix_share_links_assessment_id"), "share_links", ["assessment_id"])
    op.create_table(
        "clarifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_version_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        _assessment_fk("clarifications"),
        _versions_fk("clarifications"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"],
                                name=op.f("fk_clarifications_requested_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clarifications")),
    )
    op.create_index(op.f("ix_clarifications_assessment_id"), "clarifications",
                    ["assessment_id"])


def downgrade() -> None:
    for table in ("clarifications", "share_links", "assessment_answers",
                  "assessment_questionnaires"):
        op.drop_index(op.f(f"ix_{table}_assessment_id"), table_name=table)
        op.drop_table(table)
    for column in ("vendor_id", "status", "due_date", "last_activity_at"):
        op.drop_index(op.f(f"ix_assessments_{column}"), table_name="assessments")
    op.drop_table("assessments")
