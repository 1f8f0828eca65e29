"""S3 as an operator meets it: the settings it needs, a bucket that cannot be used refusing the
start, and a store that stops answering failing an upload cleanly (nothing stored, no temporary
file left), never with the secret in a message."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigError
from app.storage import StorageUnavailable
from tests.servers import S3
from tests.storage.conftest import s3_store


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when we return: nothing listens there


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("S3_BUCKET", "OPENDVC_S3_BUCKET"),
        ("S3_ACCESS_KEY_ID", "OPENDVC_S3_ACCESS_KEY_ID"),
        ("S3_SECRET_ACCESS_KEY", "OPENDVC_S3_SECRET_ACCESS_KEY"),
    ],
)
def test_s3_without_its_bucket_or_credentials_does_not_start(tmp_path: Path, missing: str, named: str):
    settings = {
        "BLOB_DIR": tmp_path / "blobs",
        "SECRET_KEY": "t",
        "BLOB_STORE": "s3",
        "S3_ENDPOINT_URL": "http://127.0.0.1:1",
        "S3_BUCKET": "portal",
        "S3_ACCESS_KEY_ID": "key-id",
        "S3_SECRET_ACCESS_KEY": "very-secret-value",
    }
    del settings[missing]
    with pytest.raises(ConfigError) as refused:
        create_app(settings, instance_path=str(tmp_path / "instance"))
    assert named in str(refused.value)
    assert "required when OPENDVC_BLOB_STORE is s3" in str(refused.value)
    assert "very-secret-value" not in str(refused.value)


def test_a_bucket_that_cannot_be_used_refuses_the_start_and_says_why(
    seaweedfs: S3, bucket: str, tmp_path: Path
):
    base = {
        "BLOB_DIR": tmp_path / "blobs",
        "SECRET_KEY": "t",
        "BLOB_STORE": "s3",
        "S3_ENDPOINT_URL": seaweedfs.endpoint_url,
        "S3_BUCKET": bucket,
        "S3_ACCESS_KEY_ID": seaweedfs.access_key_id,
        "S3_SECRET_ACCESS_KEY": seaweedfs.secret_access_key,
    }
    cases = {
        "no such bucket": {"S3_BUCKET": "no-such-bucket"},
        "access denied": {"S3_SECRET_ACCESS_KEY": "wrong-secret-value"},
        "cannot be reached": {"S3_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}"},
    }
    for why, changes in cases.items():
        with pytest.raises(ConfigError) as refused:
            create_app({**base, **changes}, instance_path=str(tmp_path / "instance"))
        message = str(refused.value)
        assert message.startswith("OPENDVC_S3_BUCKET"), message
        assert why in message, message
        assert seaweedfs.secret_access_key not in message
        assert "wrong-secret-value" not in message
    create_app(base, instance_path=str(tmp_path / "instance"))  # the right settings start


def _writer_of(store, data: bytes):
    writer = store.writer(limit=len(data))
    writer.write(data)
    return writer


def test_an_upload_to_a_store_that_stopped_answering_fails_cleanly(
    seaweedfs: S3, bucket: str, tmp_path: Path
):
    data = b"a scan the store never got"
    for why, changes in {
        "unreachable": {"endpoint_url": f"http://127.0.0.1:{_closed_port()}"},
        "denied": {"secret_access_key": "wrong-secret-value"},
    }.items():
        store = s3_store(seaweedfs, bucket, tmp_path / why, **changes)
        with pytest.raises(StorageUnavailable) as failed:
            store.commit(_writer_of(store, data))
        assert failed.value.code == 503
        assert "wrong-secret-value" not in failed.value.reason
        assert list(store.tmp.iterdir()) == [], why  # the temporary upload is gone too
    assert seaweedfs.client().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def test_objects_are_named_by_their_digest_under_the_prefix(seaweedfs: S3, bucket: str, tmp_path: Path):
    store = s3_store(seaweedfs, bucket, tmp_path / "tmp", prefix="portal-a/")
    other = s3_store(seaweedfs, bucket, tmp_path / "tmp2", prefix="portal-b/")
    digest = store.put(b"one portal's file")
    assert digest == hashlib.sha256(b"one portal's file").hexdigest()
    listed = seaweedfs.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"portal-a/{digest}"]
    assert list(other.digests()) == []  # another portal's prefix sees none of it
