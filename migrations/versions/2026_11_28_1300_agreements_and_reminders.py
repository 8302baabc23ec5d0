"""BAA and contract tracking, approval decisions, reminders sent and calendar feeds.

Revision ID: ca85436901a3
Revises: b4c8e2f6a913
Create Date: 2026-11-28 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'ca85436901a3'
down_revision: str | None = 'b4c8e2f6a913'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('baa_required', sa.Boolean(), nullable=True),
    sa.Column('baa_status', sa.String(length=20), nullable=False),
    sa.Column('baa_effective_on', sa.Date(), nullable=True),
    sa.Column('baa_expires_on', sa.Date(), nullable=True),
    sa.Column('baa_auto_renews', sa.Boolean(), nullable=False),
    sa.Column('baa_notice_days', sa.Integer(), nullable=True),
    sa.Column('breach_notice_days', sa.Integer(), nullable=True),
    sa.Column('signed_by_vendor', sa.String(length=200), nullable=False),
    sa.Column('signed_by_us', sa.String(length=200), nullable=False),
    sa.Column('covered_services', sa.Text(), nullable=False),
    sa.Column('covered_regions', sa.Text(), nullable=False),
    sa.Column('data_locations', sa.Text(), nullable=False),
    sa.Column('contract_starts_on', sa.Date(), nullable=True),
    sa.Column('contract_renews_on', sa.Date(), nullable=True),
    sa.Column('contract_ends_on', sa.Date(), nullable=True),
    sa.Column('contract_notice_days', sa.Integer(), nullable=True),
    sa.Column('contract_owner_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_owner_id'], ['users.id'], name=op.f('fk_agreements_contract_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], name=op.f('fk_agreements_vendor_id_vendors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements')),
    sa.UniqueConstraint('vendor_id', name=op.f('uq_agreements_vendor_id'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_baa_expires_on'), ['baa_expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_baa_status'), ['baa_status'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_contract_ends_on'), ['contract_ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_contract_owner_id'), ['contract_owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreements_contract_renews_on'), ['contract_renews_on'], unique=False)

    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash'))
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feeds_user_id'), ['user_id'], unique=False)

    op.create_table('reminder_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('once_key', sa.String(length=160), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('vendor_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_deliveries_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], name=op.f('fk_reminder_deliveries_vendor_id_vendors'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_deliveries')),
    sa.UniqueConstraint('once_key', 'recipient', name='uq_reminder_deliveries_once')
    )
    with op.batch_alter_table('reminder_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_deliveries_claimed_at'), ['claimed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_deliveries_once_key'), ['once_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_deliveries_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_deliveries_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('vendor_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('conditions_due_on', sa.Date(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_vendor_decisions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], name=op.f('fk_vendor_decisions_vendor_id_vendors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_decisions'))
    )
    with op.batch_alter_table('vendor_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_decisions_conditions_due_on'), ['conditions_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_vendor_decisions_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('baa_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('text_problem', sa.Text(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_baa_documents_agreement_id_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_baa_documents_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_baa_documents'))
    )
    with op.batch_alter_table('baa_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_baa_documents_agreement_id'), ['agreement_id'], unique=False)

    op.create_table('baa_clause_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('clause', sa.String(length=40), nullable=False),
    sa.Column('matched_sentence', sa.Text(), nullable=True),
    sa.Column('verdict', sa.String(length=10), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_baa_clause_checks_confirmed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['baa_documents.id'], name=op.f('fk_baa_clause_checks_document_id_baa_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_baa_clause_checks')),
    sa.UniqueConstraint('document_id', 'clause', name=op.f('uq_baa_clause_checks_document_id_clause'))
    )
    with op.batch_alter_table('baa_clause_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_baa_clause_checks_document_id'), ['document_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('baa_clause_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_baa_clause_checks_document_id'))

    op.drop_table('baa_clause_checks')
    with op.batch_alter_table('baa_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_baa_documents_agreement_id'))

    op.drop_table('baa_documents')
    with op.batch_alter_table('vendor_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendor_decisions_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_vendor_decisions_conditions_due_on'))

    op.drop_table('vendor_decisions')
    with op.batch_alter_table('reminder_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_deliveries_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_deliveries_status'))
        batch_op.drop_index(batch_op.f('ix_reminder_deliveries_once_key'))
        batch_op.drop_index(batch_op.f('ix_reminder_deliveries_claimed_at'))

    op.drop_table('reminder_deliveries')
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feeds_user_id'))

    op.drop_table('calendar_feeds')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreements_contract_renews_on'))
        batch_op.drop_index(batch_op.f('ix_agreements_contract_owner_id'))
        batch_op.drop_index(batch_op.f('ix_agreements_contract_ends_on'))
        batch_op.drop_index(batch_op.f('ix_agreements_baa_status'))
        batch_op.drop_index(batch_op.f('ix_agreements_baa_expires_on'))

    op.drop_table('agreements')
