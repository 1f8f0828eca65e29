"""The blob stores under test: the local folder, and S3 on a real SeaweedFS (tests/servers.py),
each test with a bucket of its own."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.storage import BlobStore, LocalBlobStore
from app.storage.s3 import S3BlobStore
from tests.servers import S3


def new_bucket(seaweedfs: S3) -> str:
    name = f"t-{secrets.token_hex(6)}"
    seaweedfs.client().create_bucket(Bucket=name)
    return name


def s3_store(seaweedfs: S3, bucket: str, tmp: Path, **changes: str) -> S3BlobStore:
    options = {
        "bucket": bucket,
        "prefix": "opendvc/",
        "endpoint_url": seaweedfs.endpoint_url,
        "region": seaweedfs.region,
        "access_key_id": seaweedfs.access_key_id,
        "secret_access_key": seaweedfs.secret_access_key,
        **changes,
    }
    return S3BlobStore(tmp=tmp, **options)


@pytest.fixture
def bucket(seaweedfs: S3) -> str:
    return new_bucket(seaweedfs)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "blobs")
        return
    seaweedfs = request.getfixturevalue("seaweedfs")
    yield s3_store(seaweedfs, new_bucket(seaweedfs), tmp_path / "blobs" / "tmp")
