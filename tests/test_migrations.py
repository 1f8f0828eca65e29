"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_agree(app):
    with app.app_context():
        differences = compare_metadata(MigrationContext.configure(db.session.connection()), db.metadata)
    assert differences == []
