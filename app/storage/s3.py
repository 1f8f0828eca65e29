"""The S3 blob store: objects named by their sha256 (under S3_PREFIX) in one bucket of any
S3-compatible object storage (AWS S3, SeaweedFS, MinIO, Ceph...). docs/storage.md.

An upload streams into a temporary file on this machine (BlobWriter: hashed on the way, cut off
at its limit), then goes up from that file with boto3's managed transfer: one PUT, or a
multipart upload in chunks of 8 MB for a larger file, never the whole file in memory. Either
way the object appears under its key only once complete (a PUT, or the completion of the
multipart upload, is atomic in S3): a reader never sees half a blob, and an upload that fails
leaves no object (an unfinished multipart upload is aborted; a bucket lifecycle rule for
incomplete multipart uploads catches one whose process died).

Content-addressed: `commit` asks first (HEAD) whether the key exists; if it does, the upload is
not sent again and the object is copied onto itself with its metadata replaced, which gives it a
new Last-Modified (measured on SeaweedFS 4: the listing and HEAD both show it). The sweep reads
that time as "last used", as it reads a file's modification time in the local store.

The race guard, without an atomic rename. `remove_unused` deletes an object only when, read
right before the DELETE, it is old and no row names it: HEAD, then the references, then HEAD
again, then DELETE. A reuse that refreshed the object before that last HEAD keeps it; a reuse
whose copy finds the object gone (NoSuchKey) uploads its own. What remains: a reuse whose copy
lands after the sweep's last HEAD and before its DELETE (one round trip to the store, a few
milliseconds), of a blob that no row had named for the whole grace period, loses its bytes. The
local store has no such window; docs/storage.md says so.
"""

from __future__ import annotations

import io
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.config import ConfigError, Settings, not_answering
from app.storage.base import BlobReader, BlobWriter, StorageUnavailable, checked

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client

log = logging.getLogger(__name__)

MB = 1024 * 1024
# Multipart above 8 MB, in 8 MB parts, two at a time: what one upload holds in memory is
# about two parts, whatever the size of the file.
TRANSFER = TransferConfig(
    multipart_threshold=8 * MB, multipart_chunksize=8 * MB, max_concurrency=2, io_chunksize=256 * 1024
)
MISSING = {"404", "NoSuchKey", "NotFound"}


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in MISSING


def _unavailable(exc: Exception, doing: str) -> StorageUnavailable:
    reason = f"S3 {doing}: {exc}"
    log.error("blob store unavailable: %s", reason)
    return StorageUnavailable(reason)


def _ask(doing: str, call: Callable[..., Any], **arguments: Any) -> Any:
    """One request to the store: its answer, or None when the object is not there; a store that
    does not answer raises StorageUnavailable."""
    try:
        return call(**arguments)
    except ClientError as exc:
        if _missing(exc):
            return None
        raise _unavailable(exc, doing) from exc
    except BotoCoreError as exc:
        raise _unavailable(exc, doing) from exc


class _Body(io.RawIOBase):
    """An S3 object's body as a raw stream, read in the chunks asked for."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._body.read(len(buffer))
        except (BotoCoreError, OSError) as exc:
            raise _unavailable(exc, "read") from exc
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3BlobStore:
    def __init__(
        self,
        *,
        tmp: Path,
        bucket: str,
        prefix: str,
        endpoint_url: str,
        region: str,
        access_key_id: str,
        secret_access_key: str,
    ) -> None:
        self.tmp = tmp
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        self._options: dict[str, Any] = {
            "endpoint_url": endpoint_url or None,
            "region_name": region,
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
            "config": Config(
                connect_timeout=5,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path"},  # S3-compatible servers rarely serve bucket subdomains
                signature_version="s3v4",
                # A checksum only where S3 requires one: not every S3-compatible server takes the
                # newer trailing checksums; the content is ours to check (its sha256 is its key).
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        }
        self._client_of: tuple[int, S3Client] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, tmp: Path) -> S3BlobStore:
        """The store the settings name; ConfigError naming what is missing (never the secret)."""
        required = {
            "S3_BUCKET": settings.S3_BUCKET,
            "S3_ACCESS_KEY_ID": settings.S3_ACCESS_KEY_ID,
            "S3_SECRET_ACCESS_KEY": settings.S3_SECRET_ACCESS_KEY.get_secret_value()
            if settings.S3_SECRET_ACCESS_KEY
            else "",
        }
        missing = [f"OPENDVC_{name}" for name, value in required.items() if not value]
        if missing:
            raise ConfigError(f"{', '.join(missing)}: required when OPENDVC_BLOB_STORE is s3")
        return cls(
            tmp=tmp,
            bucket=settings.S3_BUCKET,
            prefix=settings.S3_PREFIX,
            endpoint_url=settings.S3_ENDPOINT_URL,
            region=settings.S3_REGION,
            access_key_id=settings.S3_ACCESS_KEY_ID,
            secret_access_key=required["S3_SECRET_ACCESS_KEY"],
        )

    @property
    def client(self) -> S3Client:
        """This process's client (a client made before a fork is not reused after it)."""
        pid = os.getpid()
        if self._client_of is None or self._client_of[0] != pid:
            self._client_of = (pid, boto3.session.Session().client("s3", **self._options))
        return self._client_of[1]

    def key(self, sha256: str) -> str:
        return f"{self.prefix}{checked(sha256)}"

    def check(self) -> None:
        """The bucket answers, and to our credentials: else the portal does not start."""
        where = f"OPENDVC_S3_BUCKET {self.bucket!r} at {self.endpoint_url or 'AWS'}"
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                raise ConfigError(f"{where}: no such bucket (create it first)") from None
            if status == 403:
                key_id = self._options["aws_access_key_id"]
                raise ConfigError(f"{where}: access denied to OPENDVC_S3_ACCESS_KEY_ID {key_id!r}") from None
            raise ConfigError(f"{where}: {exc}") from None
        except BotoCoreError as exc:
            not_answering(f"{where}: cannot be reached ({exc})")

    def writer(self, limit: int) -> BlobWriter:
        return BlobWriter(self.tmp, limit)

    def _head(self, sha256: str) -> float | None:
        """When the object was last stored or reused; None when it is not stored."""
        found = _ask("head", self.client.head_object, Bucket=self.bucket, Key=self.key(sha256))
        return None if found is None else found["LastModified"].timestamp()

    def _refresh(self, sha256: str) -> bool:
        """Mark a stored object as used now (copied onto itself, metadata replaced: a new
        Last-Modified); False when it is gone (the sweep took it this instant)."""
        key = self.key(sha256)
        copied = _ask(
            "refresh",
            self.client.copy_object,
            Bucket=self.bucket,
            Key=key,
            CopySource={"Bucket": self.bucket, "Key": key},
            MetadataDirective="REPLACE",
            Metadata={"used": str(int(time.time()))},
        )
        return copied is not None

    def commit(self, writer: BlobWriter) -> str:
        if writer.over_limit:
            raise ValueError("an upload over its limit cannot be stored")
        sha256 = writer.sha256
        writer.settle()
        try:
            if self._head(sha256) is not None and self._refresh(sha256):
                return sha256
            try:
                self.client.upload_file(
                    str(writer.path),
                    self.bucket,
                    self.key(sha256),
                    ExtraArgs={"Metadata": {"used": str(int(time.time()))}},
                    Config=TRANSFER,
                )
            except (BotoCoreError, ClientError, boto3.exceptions.S3UploadFailedError) as exc:
                raise _unavailable(exc, "upload") from exc
        finally:
            writer.path.unlink(missing_ok=True)
        return sha256

    def put(self, data: bytes) -> str:
        writer = self.writer(limit=len(data))
        writer.write(data)
        return self.commit(writer)

    def exists(self, sha256: str) -> bool:
        return self._head(sha256) is not None

    def open(self, sha256: str) -> BlobReader:
        found = _ask("get", self.client.get_object, Bucket=self.bucket, Key=self.key(sha256))
        if found is None:
            raise FileNotFoundError(sha256)
        return BlobReader(_Body(found["Body"]), found["ContentLength"])

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as stream:
            return stream.read()

    def digests(self) -> Iterator[tuple[str, float]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        try:
            for page in pages:
                for found in page.get("Contents", []):
                    name = found["Key"][len(self.prefix) :]
                    try:
                        checked(name)
                    except ValueError:
                        continue  # not one of ours
                    yield name, found["LastModified"].timestamp()
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc, "list") from exc

    def remove_unused(self, sha256: str, *, grace_seconds: float, used: Callable[[str], bool]) -> bool:
        """HEAD, the references, HEAD again, DELETE: see the module's docstring for the window
        this leaves (the last HEAD to the DELETE)."""
        if (stored := self._head(sha256)) is None or time.time() - stored < grace_seconds:
            return False
        if used(sha256):
            return False
        stored = self._head(sha256)
        if stored is None or time.time() - stored < grace_seconds:
            return False
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc, "delete") from exc
        return True

    def settle_leftovers(self, *, grace_seconds: float, used: Callable[[str], bool]) -> int:
        return 0  # nothing is ever taken aside here: an interrupted sweep leaves no half-done state
