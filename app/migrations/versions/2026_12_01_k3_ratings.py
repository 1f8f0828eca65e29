"""ratings

Revision ID: 4e8a1c6b2f90
Revises: c1a7e2d40f11
Create Date: 2026-12-01 16:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4e8a1c6b2f90'
down_revision = 'c1a7e2d40f11'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dossier_id', sa.Integer(), nullable=False),
        sa.Column('procedure_code', sa.String(length=64), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('rated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_ratings_dossier_id_dossiers'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
        sa.UniqueConstraint('dossier_id', name=op.f('uq_ratings_dossier_id')),
    )
    op.create_index(op.f('ix_ratings_procedure_code'), 'ratings', ['procedure_code'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_ratings_procedure_code'), table_name='ratings')
    op.drop_table('ratings')
