"""Abandoned drafts are deleted after the retention period, with everything recorded about them;
submitted dossiers and recent drafts stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app import clock
from app.catalog.loader import load_folder
from app.dossiers.models import Attachment, Dossier, DossierEvent
from app.extensions import db
from app.signing.models import DossierSignature
from tests.conftest import TEST_CATALOG
from tests.factories import DraftFactory, SignedFactory, submitted

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.query(model).count()
            for model in (Dossier, Attachment, DossierEvent, DossierSignature)
        }


def test_only_old_drafts_are_purged(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG)
    code = submitted(app, DEFINITION, citizen_key)
    with app.test_request_context():
        SignedFactory(key=citizen_key)  # signed, never submitted
        DraftFactory(answered=False, attached=False)  # a fresh draft, started now
    with app.app_context():
        old = clock.now() - timedelta(days=45)
        abandoned = db.session.scalars(db.select(Dossier).where(Dossier.status == "signed")).one().id
        db.session.execute(update(Dossier).where(Dossier.code.is_not(None)).values(updated_at=old))
        db.session.execute(update(Dossier).where(Dossier.id == abandoned).values(updated_at=old))
        db.session.commit()
    before = counts(app)
    result = app.test_cli_runner().invoke(args=["dossiers", "purge-drafts"])
    assert result.exit_code == 0, result.output
    assert "1 draft(s) untouched for 30 days deleted" in result.output
    after = counts(app)
    assert after["dossiers"] == before["dossiers"] - 1
    assert after["attachments"] < before["attachments"]  # its documents' records went with it
    assert after["dossier_signatures"] == before["dossier_signatures"] - 1
    with app.app_context():
        left = {d.status for d in db.session.scalars(db.select(Dossier))}
        assert db.session.scalars(db.select(Dossier).where(Dossier.code == code)).one()
    assert left == {"new", "draft"}  # the submitted dossier, and the draft started today
