"""attachment entry: a document given for one entry of a repeatable group

Revision ID: c1a7e2d40f11
Revises: 7a1c3e5b9d20
Create Date: 2026-12-01 15:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a7e2d40f11'
down_revision = '7a1c3e5b9d20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('entry')
