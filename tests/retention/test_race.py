"""The sweep never deletes a blob an upload is about to reuse. The store keeps one copy per
digest: an upload of bytes already stored keeps no copy of its own and commits, a moment later,
a row naming the stored blob. These tests make the sweep run inside that moment, for real."""

from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from app.extensions import db
from app.retention.sweep import candidates, remove
from app.storage import get_blobs
from tests import files
from tests.conftest import page
from tests.journey import start, upload
from tests.retention import age_blobs, blob_files, sweep
from tests.waiting import wait_for

GRACE = 3600


def _orphan(app, content: bytes) -> str:
    """Bytes stored long ago that no row names any more (a removed attachment's)."""
    with app.app_context():
        digest = get_blobs().put(content)
    age_blobs(app)
    return digest


def _documents_url(client) -> str:
    return start(client, "T.000001").rsplit("/steps/", 1)[0] + "/documents"


def test_an_upload_between_the_sweeps_look_and_its_delete_keeps_the_blob(make_app):
    """The sweep lists the blob as unreferenced; then an upload of the same bytes lands (its row
    committed); then the sweep deletes what it listed: the blob stays."""
    app = make_app(CATALOG_DIR="tests/data/catalog")
    content = files.pdf(pages=6)
    digest = _orphan(app, content)
    with app.app_context():
        found, _kept, _fresh = candidates(GRACE)
    assert found == [digest]

    client = app.test_client()
    client.get("/language/en")
    documents = _documents_url(client)
    assert upload(client, documents, "DOC", "again.pdf", content).status_code == 302

    with app.app_context():
        assert remove(found, GRACE) == 0
    assert digest in blob_files(app)
    link = page(client.get(documents)).select_one("#component-DOC .files a")
    download = client.get(link["href"])
    assert hashlib.sha256(download.data).hexdigest() == digest
    download.close()


@contextmanager
def _writes_held(app):
    """Hold the database's write lock (SQLite) or the dossiers' rows (PostgreSQL) on a
    connection of our own: an upload then stores its file and waits at its commit."""
    with app.app_context():
        connection = db.engine.connect()
        try:
            if db.engine.dialect.name == "sqlite":
                raw = connection.connection.driver_connection
                raw.isolation_level = None
                raw.execute("BEGIN IMMEDIATE")
                yield
                raw.execute("ROLLBACK")
            else:
                held = connection.begin()
                connection.execute(text("SELECT id FROM dossiers FOR UPDATE"))
                yield
                held.rollback()
        finally:
            connection.invalidate()
            connection.close()


@pytest.mark.committed
def test_a_sweep_while_an_upload_reuses_the_blob_keeps_it(make_app):
    """An upload of stored bytes reused the blob and waits at its commit, its row not yet
    written, while the sweep that had listed the blob as unreferenced deletes: the blob stays,
    the upload lands, and the file downloads whole."""
    app = make_app(CATALOG_DIR="tests/data/catalog")
    content = files.pdf(pages=7)
    digest = _orphan(app, content)
    path = get_blobs_path(app, digest)
    aged = path.stat().st_mtime
    client = app.test_client()
    client.get("/language/en")
    documents = _documents_url(client)
    with app.app_context():
        found, _kept, _fresh = candidates(GRACE)
    assert digest in found

    landed: list[int] = []
    with _writes_held(app):
        thread = threading.Thread(
            target=lambda: landed.append(upload(client, documents, "DOC", "again.pdf", content).status_code)
        )
        thread.start()

        def reused() -> bool:
            """the upload has reused the stored blob (its modification time moved)"""
            return path.stat().st_mtime > aged

        wait_for(reused)
        assert landed == []  # its row waits for the lock
        with app.app_context():
            assert remove(found, GRACE) == 0  # unreferenced, but reused within the grace period
        assert digest in blob_files(app)
    thread.join()
    assert landed == [302]

    age_blobs(app)  # long after: the row names it now
    assert sweep(app).startswith("0 unreferenced blob(s) deleted, 1 referenced kept")
    link = page(client.get(documents)).select_one("#component-DOC .files a")
    download = client.get(link["href"])
    assert hashlib.sha256(download.data).hexdigest() == digest
    download.close()


def test_a_blob_taken_aside_by_the_sweep_is_written_again_by_the_upload(make_app):
    """The other order: the sweep has taken the blob aside when the upload stores the same
    bytes. The upload finds no blob and writes its own copy, which the sweep leaves alone."""
    app = make_app()
    content = b"the same bytes, uploaded again"
    digest = _orphan(app, content)
    with app.app_context():
        store = get_blobs()
        decided: list[bool] = []

        def used(sha256: str) -> bool:
            # asked with the blob taken aside: an upload of the same bytes lands right now
            assert not store.path(sha256).exists()
            assert store.put(content) == sha256
            decided.append(True)
            return False

        assert store.remove_unused(digest, grace_seconds=GRACE, used=used) is True
        assert decided == [True]
        assert store.read(digest) == content  # the upload's own copy
        assert not list(store.leftovers())


def get_blobs_path(app, digest: str):
    with app.app_context():
        return get_blobs().path(digest)
