"""Vendor inventory: vendors and their domains.

Revision ID: d7a3b9e04c58
Revises: 8c4d2f6e1a93
Create Date: 2026-11-28 07:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7a3b9e04c58"
down_revision: str | None = "8c4d2f6e1a93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VENDOR_INDEXES = ("archived_at", "category", "criticality", "name", "status", "updated_at")


def upgrade() -> None:
    op.create_table(
        "vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("services", sa.Text(), nullable=False),
        sa.Column("stores_phi", sa.Boolean(), nullable=False),
        sa.Column("processes_phi", sa.Boolean(), nullable=False),
        sa.Column("transmits_phi", sa.Boolean(), nullable=False),
        sa.Column("criticality", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("business_owner", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendors")),
    )
    for column in VENDOR_INDEXES:
        op.create_index(op.f(f"ix_vendors_{column}"), "vendors", [column])
    op.create_table(
        "vendor_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_vendor_domains_vendor_id_vendors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor_domains")),
        sa.UniqueConstraint("vendor_id", "domain",
                            name=op.f("uq_vendor_domains_vendor_id_domain")),
    )
    op.create_index(op.f("ix_vendor_domains_domain"), "vendor_domains", ["domain"])


def downgrade() -> None:
    op.drop_index(op.f("ix_vendor_domains_domain"), table_name="vendor_domains")
    op.drop_table("vendor_domains")
    for column in VENDOR_INDEXES:
        op.drop_index(op.f(f"ix_vendors_{column}"), table_name="vendors")
    op.drop_table("vendors")
