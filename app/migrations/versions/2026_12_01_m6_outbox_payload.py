"""outbox payload: what a message carries as it was when queued (a rating)

Revision ID: 6b1d3f5a7c92
Revises: 5c1e7a9d3b24
Create Date: 2026-12-01 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6b1d3f5a7c92'
down_revision = "5c1e7a9d3b24"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('payload')
