"""Blobs nothing references any more are deleted by the sweep, and only those: counted on disk
before and after. A removed attachment's file goes unless another dossier holds the same bytes;
a purged draft's files go; a signed and submitted dossier keeps every file; purge and sweep run
twice delete only the first time."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

from sqlalchemy import select, update

from app import clock
from app.dossiers.models import Attachment, Dossier
from app.extensions import db
from app.signing.models import DossierSignature
from app.storage import get_blobs
from tests.conftest import csrf_token
from tests.factories import AttachmentFactory, DraftFactory, SignedFactory, SubmittedFactory, resume_url
from tests.files import pdf, png
from tests.retention import age_blobs, blob_files, sweep


def _digests_of(app, public_id: str) -> set[str]:
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.public_id == public_id)).one()
        found = {a.sha256 for a in dossier.attachments}
        found |= set(
            db.session.scalars(
                select(DossierSignature.signed_sha256).where(DossierSignature.dossier_id == dossier.id)
            )
        )
        return found


def test_a_removed_attachment_is_swept_unless_another_dossier_has_the_same_bytes(make_app):
    app = make_app(CATALOG_DIR="tests/data/catalog")
    own, shared = pdf(pages=3), png()
    with app.test_request_context():
        mine = DraftFactory(attached=False)
        other = DraftFactory(attached=False)
        kept_alone = AttachmentFactory(dossier=mine.dossier, content=own, filename="own.pdf").id
        kept_shared = AttachmentFactory(
            dossier=mine.dossier, component="IMG", content=shared, filename="shared.png"
        ).id
        AttachmentFactory(dossier=other.dossier, component="IMG", content=shared, filename="same-bytes.png")
        public_id = mine.dossier.public_id
    client = app.test_client()
    client.get(resume_url(mine))
    token = csrf_token(client.get(f"/dossiers/{public_id}/documents"))
    for attachment_id in (kept_alone, kept_shared):
        removed = client.post(
            f"/dossiers/{public_id}/documents/{attachment_id}/remove", data={"csrf_token": token}
        )
        assert removed.status_code == 302
    own_sha, shared_sha = hashlib.sha256(own).hexdigest(), hashlib.sha256(shared).hexdigest()
    before = blob_files(app)
    assert {own_sha, shared_sha} <= before  # removing the row deletes no file by itself

    assert sweep(app).startswith("0 unreferenced blob(s) deleted")  # just stored: within the grace
    age_blobs(app)
    assert sweep(app, "--dry-run").startswith("1 unreferenced blob(s) would be deleted")
    assert blob_files(app) == before
    assert sweep(app).startswith("1 unreferenced blob(s) deleted, 1 referenced kept")
    assert blob_files(app) == before - {own_sha}
    with app.app_context():
        assert db.session.scalar(select(Attachment.sha256).where(Attachment.filename == "same-bytes.png"))
    assert sweep(app).startswith("0 unreferenced blob(s) deleted")


def test_purge_then_sweep_deletes_a_purged_drafts_files_once_and_keeps_a_submitted_dossiers(
    make_app, citizen_key
):
    app = make_app(CATALOG_DIR="tests/data/catalog")
    with app.test_request_context():
        sent = SubmittedFactory(key=citizen_key)
        abandoned = SignedFactory(key=citizen_key, attached=False)
        AttachmentFactory(dossier=abandoned.dossier, content=pdf(pages=5), filename="own.pdf")
        SignedFactory(key=citizen_key)  # a draft signed today: not purged
        sent_id, abandoned_id = sent.dossier.public_id, abandoned.dossier.public_id
    kept, purged = _digests_of(app, sent_id), _digests_of(app, abandoned_id)
    assert purged - kept, "the abandoned draft has files of its own"
    with app.app_context():
        db.session.execute(
            update(Dossier)
            .where(Dossier.public_id == abandoned_id)
            .values(updated_at=clock.now() - timedelta(days=45))
        )
        db.session.commit()
    age_blobs(app)
    before = blob_files(app)
    assert kept | purged <= before

    first = app.test_cli_runner().invoke(args=["dossiers", "purge-drafts"])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0] == "1 draft(s) untouched for 30 days deleted"
    assert lines[1].startswith(f"{len(purged - kept)} unreferenced blob(s) deleted")
    after = blob_files(app)
    assert after == before - (purged - kept)
    assert kept <= after  # the submitted dossier's attachments and signed declaration

    second = app.test_cli_runner().invoke(args=["dossiers", "purge-drafts"])
    assert second.exit_code == 0, second.output
    assert second.output.splitlines()[0] == "0 draft(s) untouched for 30 days deleted"
    assert second.output.splitlines()[1].startswith("0 unreferenced blob(s) deleted")
    assert blob_files(app) == after


def test_stale_upload_files_are_deleted_and_uploads_in_flight_kept(make_app):
    app = make_app()
    with app.app_context():
        store = get_blobs()
        stale, in_flight = store.writer(10), store.writer(10)
        stale.write(b"abandoned")
        in_flight.write(b"streaming")
        stale.settle()  # its process went away: on disk, closed, never moved into place
        in_flight.flush()
    age = 2 * 24 * 3600
    then = os.stat(stale.path).st_mtime - age
    os.utime(stale.path, (then, then))
    assert sweep(app).endswith("1 stale upload file(s) deleted")
    assert not stale.path.exists()
    assert in_flight.path.exists()
    in_flight.discard()
