"""The portal configured for S3 (OPENDVC_BLOB_STORE=s3) against a real SeaweedFS, as an applicant
and an operator see it: an attachment uploaded through the journey lands in the bucket under its
digest (nothing on the portal's disk), downloads back whole, and goes with the sweep after its
draft is purged; when the store stops answering, an upload gets the form's translated error and
leaves no row, and a download a 503 page, never a 500."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from app import clock
from app.dossiers.models import Attachment, Dossier
from app.extensions import db
from tests import files
from tests.conftest import TEST_CATALOG, page
from tests.journey import start, upload
from tests.servers import S3, seaweedfs_server
from tests.storage.conftest import new_bucket


def _settings(server: S3, bucket: str, **more: object) -> dict[str, object]:
    return {
        "CATALOG_DIR": TEST_CATALOG,
        "BLOB_STORE": "s3",
        "S3_ENDPOINT_URL": server.endpoint_url,
        "S3_BUCKET": bucket,
        "S3_PREFIX": "blobs/",
        "S3_REGION": server.region,
        "S3_ACCESS_KEY_ID": server.access_key_id,
        "S3_SECRET_ACCESS_KEY": server.secret_access_key,
        **more,
    }


def _keys(server: S3, bucket: str) -> list[str]:
    return [o["Key"] for o in server.client().list_objects_v2(Bucket=bucket).get("Contents", [])]


def _files_on_disk(app) -> list[Path]:
    return sorted(p for p in Path(app.config["BLOB_DIR"]).rglob("*") if p.is_file())


def test_an_attachment_goes_to_the_bucket_comes_back_and_is_swept_after_its_draft(make_app, seaweedfs):
    bucket = new_bucket(seaweedfs)
    app = make_app(**_settings(seaweedfs, bucket, BLOB_SWEEP_GRACE_SECONDS=0))
    client = app.test_client()
    client.get("/language/en")
    documents = start(client, "T.000001").rsplit("/steps/", 1)[0] + "/documents"
    content = files.pdf(pages=4)
    digest = hashlib.sha256(content).hexdigest()

    assert upload(client, documents, "DOC", "scan.pdf", content).status_code == 302
    assert _keys(seaweedfs, bucket) == [f"blobs/{digest}"]
    assert _files_on_disk(app) == []  # the temporary upload is gone, nothing kept locally

    link = page(client.get(documents)).select_one("#component-DOC .files a")
    download = client.get(link["href"])
    assert download.status_code == 200
    assert download.headers["Content-Length"] == str(len(content))
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.data == content
    download.close()

    swept = app.test_cli_runner().invoke(args=["blobs", "sweep"])
    assert swept.output.startswith("0 unreferenced blob(s) deleted, 1 referenced kept"), swept.output
    assert _keys(seaweedfs, bucket) == [f"blobs/{digest}"]

    public_id = documents.split("/")[-2]
    with app.app_context():
        db.session.execute(
            update(Dossier)
            .where(Dossier.public_id == public_id)
            .values(updated_at=clock.now() - timedelta(days=45))
        )
        db.session.commit()
    purged = app.test_cli_runner().invoke(args=["dossiers", "purge-drafts"])
    assert purged.exit_code == 0, purged.output
    assert purged.output.splitlines()[0] == "1 draft(s) untouched for 30 days deleted"
    assert purged.output.splitlines()[1].startswith("1 unreferenced blob(s) deleted")
    assert _keys(seaweedfs, bucket) == []


def test_when_the_store_stops_answering_an_upload_is_refused_cleanly_and_a_download_is_a_503(
    make_app, tmp_path_factory
):
    with seaweedfs_server(tmp_path_factory.mktemp("seaweedfs-stopped")) as server:
        bucket = new_bucket(server)
        app = make_app(**_settings(server, bucket))
        client = app.test_client()
        client.get("/language/en")
        documents = start(client, "T.000001").rsplit("/steps/", 1)[0] + "/documents"
        assert upload(client, documents, "DOC", "first.pdf", files.pdf(pages=2)).status_code == 302
        link = page(client.get(documents)).select_one("#component-DOC .files a")["href"]
    # The SeaweedFS is stopped: nothing answers at its address any more.
    refused = upload(client, documents, "IMG", "second.png", files.png())
    assert refused.status_code == 503
    assert "The file could not be stored just now. Try again in a few minutes." in refused.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalars(select(Attachment.filename)).all() == ["first.pdf"]
    assert _files_on_disk(app) == []  # no temporary upload left behind

    download = client.get(link)
    assert download.status_code == 503
    assert "The portal cannot store or read files just now" in download.get_data(as_text=True)

    client.get("/language/vi")
    again = upload(client, documents, "IMG", "second.png", files.png())
    assert again.status_code == 503
    assert "The file could not be stored just now" not in again.get_data(as_text=True)  # in Vietnamese

    swept = app.test_cli_runner().invoke(args=["blobs", "sweep"])
    assert swept.exit_code == 1
    assert "the blob store did not answer, not swept" in swept.output
