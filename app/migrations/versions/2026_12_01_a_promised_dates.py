"""promised dates on status events

Revision ID: 7a1c3e5b9d20
Revises: 7b3e5c2a9d41
Create Date: 2026-12-01 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a1c3e5b9d20'
down_revision = '7b3e5c2a9d41'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dossier_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promised_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('apology', sa.Text(), nullable=True))
    with op.batch_alter_table('backoffice_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promised_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('apology', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('backoffice_events', schema=None) as batch_op:
        batch_op.drop_column('apology')
        batch_op.drop_column('promised_on')
    with op.batch_alter_table('dossier_events', schema=None) as batch_op:
        batch_op.drop_column('apology')
        batch_op.drop_column('promised_on')
