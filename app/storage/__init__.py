"""Content-addressed blob store: files named by their sha256, written atomically.

A blob is written to a temporary file while it streams in, hashed on the way, then fsynced
and renamed into place; an upload that is refused is never renamed and leaves nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import Flask, current_app


class BlobWriter:
    """A file-like sink that hashes and counts what it is given.

    Past `limit` bytes it stops writing (the rest is counted, not kept) so that an upload
    too large for its component never fills the disk.
    """

    def __init__(self, tmp_dir: Path, limit: int) -> None:
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
        self.path = Path(name)
        self._file = os.fdopen(fd, "w+b")
        self._hash = hashlib.sha256()
        self.size = 0
        self.limit = limit
        self.finished = False

    @property
    def over_limit(self) -> bool:
        return self.size > self.limit

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if not self.over_limit:
            self._hash.update(data)
            self._file.write(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def tell(self) -> int:
        return self._file.tell()

    def flush(self) -> None:
        self._file.flush()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def settle(self) -> None:
        """On disk for good (flushed, fsynced, closed), ready to be moved into place."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self.finished = True

    def discard(self) -> None:
        if self.finished:
            return
        self.finished = True
        self._file.close()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:  # werkzeug may close the stream it was handed; keep it until we decide
        pass


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def writer(self, limit: int) -> BlobWriter:
        return BlobWriter(self.tmp, limit)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256")
        return self.root / sha256[:2] / sha256

    def commit(self, writer: BlobWriter) -> str:
        """Move a complete upload into place under its hash (fsync, then rename)."""
        if writer.over_limit:
            raise ValueError("an upload over its limit cannot be stored")
        target = self.path(writer.sha256)
        writer.settle()
        if target.exists():  # same bytes already stored
            writer.path.unlink()
            return writer.sha256
        target.parent.mkdir(exist_ok=True)
        os.replace(writer.path, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return writer.sha256

    def put(self, data: bytes) -> str:
        """Store bytes the portal made itself (a signed PDF): same path, same guarantees."""
        writer = self.writer(limit=len(data))
        writer.write(data)
        return self.commit(writer)

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")


def init_app(app: Flask) -> None:
    app.extensions["opendvc.blobs"] = BlobStore(Path(app.config["BLOB_DIR"]))


def get_blobs() -> BlobStore:
    return current_app.extensions["opendvc.blobs"]
