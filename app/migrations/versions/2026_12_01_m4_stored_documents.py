"""the applicant's store: documents submitted and results received, per account

Revision ID: 5b7e9d3a2c14
Revises: 5b7e9d1f3a24
Create Date: 2026-12-01 18:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5b7e9d3a2c14"
down_revision = "5b7e9d1f3a24"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("dossier_code", sa.String(length=40), nullable=True),
        sa.Column("procedure_code", sa.String(length=32), nullable=False),
        sa.Column("component_code", sa.String(length=32), nullable=True),
        sa.Column("result_code", sa.String(length=48), nullable=True),
        sa.Column("document_type", sa.String(length=64), nullable=True),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signatures", sa.JSON(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_stored_documents_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_stored_documents_dossier_id_dossiers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_documents")),
        sa.UniqueConstraint("account_id", "sha256", name="uq_stored_documents_account_sha256"),
    )
    op.create_index(op.f("ix_stored_documents_account_id"), "stored_documents", ["account_id"], unique=False)
    op.create_index(op.f("ix_stored_documents_dossier_id"), "stored_documents", ["dossier_id"], unique=False)
    op.create_index(op.f("ix_stored_documents_sha256"), "stored_documents", ["sha256"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_stored_documents_sha256"), table_name="stored_documents")
    op.drop_index(op.f("ix_stored_documents_dossier_id"), table_name="stored_documents")
    op.drop_index(op.f("ix_stored_documents_account_id"), table_name="stored_documents")
    op.drop_table("stored_documents")
