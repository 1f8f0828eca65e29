"""dossier applicant kind

Revision ID: 7b3e5c2a9d41
Revises: 5c2d9e1f7a3b
Create Date: 2026-12-01 15:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b3e5c2a9d41'
down_revision = '5c2d9e1f7a3b'
branch_labels = None
depends_on = None


def upgrade():
    # citizen, business, organisation, foreigner; NULL for dossiers submitted before, or when
    # the definition cannot tell.
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applicant_kind', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_column('applicant_kind')
