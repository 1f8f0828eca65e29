"""supplement validation report

Revision ID: 5c2d9e1f7a3b
Revises: 1eba1eb44400
Create Date: 2026-12-01 11:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c2d9e1f7a3b'
down_revision = '1eba1eb44400'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('supplements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('supplements', schema=None) as batch_op:
        batch_op.drop_column('report')
