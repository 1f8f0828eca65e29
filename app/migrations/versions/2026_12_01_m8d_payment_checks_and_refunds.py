"""payments: reconciliation's backoff and last check, and the refund the staff record

Revision ID: 8d4b2e6f1a37
Revises: 3c8e2a9f5d17
Create Date: 2026-12-01 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '8d4b2e6f1a37'
down_revision = '3c8e2a9f5d17'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments') as batch_op:
        batch_op.add_column(sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_check', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refunded_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('refund_note', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_payments_next_check_at'), ['next_check_at'], unique=False)


def downgrade():
    with op.batch_alter_table('payments') as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_next_check_at'))
        batch_op.drop_column('refund_note')
        batch_op.drop_column('refunded_by')
        batch_op.drop_column('refunded_at')
        batch_op.drop_column('last_check')
        batch_op.drop_column('next_check_at')
