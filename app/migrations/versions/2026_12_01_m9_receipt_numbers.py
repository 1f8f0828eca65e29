"""payments: receipt numbers consecutive within their symbol (ký hiệu AA-<yy>E), restarting each year

Revision ID: 9e1f4a7c2b58
Revises: 8d4b2e6f1a37
Create Date: 2026-12-01 23:00:00.000000

"""
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '9e1f4a7c2b58'
down_revision = '8d4b2e6f1a37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'receipt_sequences',
        sa.Column('symbol', sa.String(length=16), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('symbol', name=op.f('pk_receipt_sequences')),
    )
    with op.batch_alter_table('payments') as batch_op:
        batch_op.add_column(sa.Column('receipt_symbol', sa.String(length=16), nullable=True))
    # Receipts issued before: numbered from the payment's row, unique across the portal. They keep
    # their number, get the symbol of the year they were paid in, and each symbol's counter goes
    # on after its highest number, so that no new receipt takes one already given out.
    connection = op.get_bind()
    payments = sa.table(
        'payments',
        sa.column('id', sa.Integer),
        sa.column('receipt_number', sa.String),
        sa.column('receipt_symbol', sa.String),
        sa.column('settled_at', sa.DateTime(timezone=True)),
        sa.column('started_at', sa.DateTime(timezone=True)),
    )
    vietnam, highest = ZoneInfo('Asia/Ho_Chi_Minh'), {}
    rows = connection.execute(
        sa.select(payments.c.id, payments.c.receipt_number, payments.c.settled_at, payments.c.started_at)
        .where(payments.c.receipt_number.is_not(None))
    ).all()
    for id_, number, settled_at, started_at in rows:
        moment = settled_at or started_at
        if moment.tzinfo is None:  # SQLite gives it back naive: stored in UTC
            moment = moment.replace(tzinfo=ZoneInfo('UTC'))
        symbol = f"AA-{moment.astimezone(vietnam):%y}E"
        connection.execute(sa.update(payments).where(payments.c.id == id_).values(receipt_symbol=symbol))
        highest[symbol] = max(highest.get(symbol, 0), int(number) if number.isdigit() else 0)
    if highest:
        op.bulk_insert(
            sa.table('receipt_sequences', sa.column('symbol', sa.String), sa.column('last', sa.Integer)),
            [{'symbol': s, 'last': n} for s, n in highest.items()],
        )
    with op.batch_alter_table('payments') as batch_op:
        batch_op.drop_constraint('uq_payments_receipt_number', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_payments_receipt_symbol'), ['receipt_symbol', 'receipt_number']
        )


def downgrade():
    with op.batch_alter_table('payments') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payments_receipt_symbol'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_payments_receipt_number'), ['receipt_number'])
        batch_op.drop_column('receipt_symbol')
    op.drop_table('receipt_sequences')
