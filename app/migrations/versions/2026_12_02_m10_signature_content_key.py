"""signing: each signature keeps the content key of the declaration it was made on, so that the
submission checks it without rendering the declaration again

Revision ID: 4f2a8c1d9e63
Revises: 9e1f4a7c2b58
Create Date: 2026-12-02 01:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4f2a8c1d9e63'
down_revision = '9e1f4a7c2b58'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dossier_signatures') as batch_op:
        batch_op.add_column(sa.Column('content_key', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('dossier_signatures') as batch_op:
        batch_op.drop_column('content_key')
