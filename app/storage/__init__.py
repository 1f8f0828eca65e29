"""Blob storage: the files the portal keeps (uploads, signed PDFs, receipts), named by their
sha256, in the store OPENDVC_BLOB_STORE names: "local" (a folder, app/storage/local.py) or "s3"
(S3-compatible object storage, app/storage/s3.py). Both keep the contract of app/storage/base.py
BlobStore; the portal reads a blob as a stream (`open`) or serves it (`send_blob`), never by a
path on this machine. docs/storage.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Flask, Response, current_app, request, send_file
from werkzeug.exceptions import NotFound

from app.config import Settings
from app.storage.base import BlobReader, BlobStore, BlobWriter, StorageUnavailable, stale_uploads
from app.storage.local import LocalBlobStore

__all__ = [
    "BlobReader",
    "BlobStore",
    "BlobWriter",
    "LocalBlobStore",
    "StorageUnavailable",
    "get_blobs",
    "release_now",
    "send_blob",
    "stale_uploads",
]


# OPENDVC_BLOB_STORE -> how its store is made from the settings and the blob folder (whose tmp/
# holds the uploads streaming in, for either store).
def _s3(settings: Settings, root: Path) -> BlobStore:
    from app.storage.s3 import S3BlobStore  # import here: boto3 is slow to import; "local" never needs it

    return S3BlobStore.from_settings(settings, root / "tmp")


STORES: dict[str, Callable[[Settings, Path], BlobStore]] = {
    "local": lambda settings, root: LocalBlobStore(root),
    "s3": _s3,
}

# Registered by app/retention (which knows every column that names a blob): deletes at once the
# given blobs that no row references (a rename aside and a last look, no grace period).
RELEASE = "opendvc.release_blobs"


def release_now(digests: Iterable[str]) -> int:
    """Delete now those of these blobs nothing references any more, for a caller that promised
    the files leave with their rows (the kiosk forgetting a person's drafts); how many were
    deleted. Without the retention layer's function they wait for the sweep. An upload of the
    same bytes in the same instant is guarded only by the sweep's grace period, which this skips:
    everything else leaves its blobs to the sweep."""
    remove = current_app.extensions.get(RELEASE)
    return int(remove(digests)) if remove is not None else 0


def send_blob(sha256: str, *, mimetype: str, download_name: str, as_attachment: bool = False) -> Response:
    """A response streaming the blob (from disk or from S3, in chunks), with its length and its
    digest as a strong ETag. NotFound (a 404) when it is not stored (recorded, then purged);
    StorageUnavailable (a 503) when the store does not answer."""
    try:
        stream = get_blobs().open(sha256)
    except FileNotFoundError:
        raise NotFound() from None
    response = send_file(
        stream,
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=download_name,
        etag=sha256,
        conditional=False,
    )
    response.content_length = stream.size
    response.make_conditional(request.environ, accept_ranges=True, complete_length=stream.size)
    return response


def init_app(app: Flask) -> None:
    """Make the configured store and check it can be used: a portal configured for S3 whose
    bucket does not answer refuses to start (ConfigError), rather than failing every upload."""
    settings: Settings = app.config["OPENDVC"]
    store = STORES[settings.BLOB_STORE](settings, Path(app.config["BLOB_DIR"]))
    store.check()
    app.extensions["opendvc.blobs"] = store


def get_blobs() -> BlobStore:
    return current_app.extensions["opendvc.blobs"]
