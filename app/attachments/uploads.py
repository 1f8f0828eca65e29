"""Uploads streamed straight into the blob store while the request body is parsed."""

from __future__ import annotations

import io
from typing import Any

from flask import Request, g

from app.storage import BlobWriter, get_blobs


class UploadRequest(Request):
    """Werkzeug's multipart parser writes each file part into a BlobWriter: hashed on the way,
    never held whole in memory, and cut off at the limit the view set in `g.upload_limit`.
    A view that set no limit takes no files: their bytes are read and dropped, never stored."""

    def _get_file_stream(  # type: ignore[override]
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> Any:
        in_memory = g.get("upload_in_memory")
        if in_memory:  # key material: never on disk
            return InMemoryUpload(in_memory)
        limit = g.get("upload_limit")
        if not limit:  # a view that takes no files: a file part is dropped as it streams
            return InMemoryUpload(0)
        writer = get_blobs().writer(limit)
        g.setdefault("uploads", []).append(writer)
        return writer


class InMemoryUpload(io.BytesIO):
    """A small upload kept in memory only (a PKCS#12 file); past its limit it keeps nothing."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.size = 0

    @property
    def over_limit(self) -> bool:
        return self.size > self.limit

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.size += len(data)
        if not self.over_limit:
            super().write(data)
        return len(data)


def discard_unclaimed(exc: BaseException | None = None) -> None:
    """Teardown: whatever upload a view did not store is deleted."""
    for writer in g.pop("uploads", []):
        writer.discard()


def writer_of(file_storage: Any) -> BlobWriter | None:
    stream = getattr(file_storage, "stream", None)
    return stream if isinstance(stream, BlobWriter) else None
