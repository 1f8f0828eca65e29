"""notifications of a payment received: a notification is caused by a history row or by a payment

Revision ID: 3c8e2a9f5d17
Revises: 9030f1bfd513
Create Date: 2026-12-01 21:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c8e2a9f5d17'
down_revision = '9030f1bfd513'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.alter_column(
            'event_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True
        )
        batch_op.add_column(sa.Column('payment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_notifications_payment_id_payments'), 'payments', ['payment_id'], ['id'], ondelete='CASCADE'
        )


def downgrade():
    op.execute('DELETE FROM notifications WHERE event_id IS NULL')
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_payment_id_payments'), type_='foreignkey')
        batch_op.drop_column('payment_id')
        batch_op.alter_column(
            'event_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False
        )
