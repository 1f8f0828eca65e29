"""What every blob store is: the interface the portal codes against (BlobStore), the upload sink
both stores write through (BlobWriter), and the error a store that cannot be reached raises.

A blob is named by the sha256 of its bytes. An upload streams into a BlobWriter, a temporary file
on this machine hashed on the way and cut off at its limit, whichever store keeps it afterwards;
`commit` then moves it into the store under its digest, atomically (a rename on disk, a PUT or a
completed multipart upload in S3), or reuses the blob already stored under that digest and marks
it as used now, which the sweep reads (app/retention/sweep.py). Nothing but the sweep deletes a
blob. docs/storage.md.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from werkzeug.exceptions import ServiceUnavailable

HEX = frozenset("0123456789abcdef")


def checked(sha256: str) -> str:
    """The digest itself, refused unless it is one (it becomes a file name or an object key)."""
    if len(sha256) != 64 or not HEX.issuperset(sha256):
        raise ValueError("not a sha256")
    return sha256


class StorageUnavailable(ServiceUnavailable):
    """The store could not be reached or refused us (S3 down, access denied): a 503, which the
    web layer shows as a page of its own, and which an upload turns into its form's error. The
    reason goes to the log, never to the person."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


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
        """On disk for good (flushed, fsynced, closed), ready to be moved or sent."""
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


class BlobReader(io.BufferedReader):
    """A stored blob, read as a stream (never whole in memory), with its size in bytes."""

    def __init__(self, raw: io.RawIOBase, size: int) -> None:
        super().__init__(raw, buffer_size=256 * 1024)
        self.size = size


class BlobStore(Protocol):
    """A content-addressed store of blobs (app/storage/local.py, app/storage/s3.py)."""

    tmp: Path  # where uploads stream in, on this machine, before `commit`

    def check(self) -> None:
        """Raise ConfigError, naming the setting, when the store cannot be used (at start-up)."""

    def writer(self, limit: int) -> BlobWriter: ...

    def commit(self, writer: BlobWriter) -> str:
        """Store a complete upload under its digest (or reuse the stored blob, marking it used
        now) and return the digest; the temporary file is gone afterwards, whatever happens.
        StorageUnavailable when the store cannot take it: nothing is stored then."""
        ...

    def put(self, data: bytes) -> str:
        """Store bytes the portal made itself (a signed PDF): same path, same guarantees."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def open(self, sha256: str) -> BlobReader:
        """A stream of the blob's bytes; FileNotFoundError when it is not stored."""
        ...

    def read(self, sha256: str) -> bytes:
        """The whole blob, for the small ones the portal reads itself (a receipt, a signed PDF)."""
        ...

    def digests(self) -> Iterator[tuple[str, float]]:
        """Every stored blob: its sha256 and when it was last stored or reused (epoch seconds)."""
        ...

    def remove_unused(self, sha256: str, *, grace_seconds: float, used: Callable[[str], bool]) -> bool:
        """Delete the blob unless it was stored or reused within `grace_seconds`, or `used(sha256)`
        says a row names it now (asked as late as the store allows); True when deleted."""
        ...

    def settle_leftovers(self, *, grace_seconds: float, used: Callable[[str], bool]) -> int:
        """Decide on what an interrupted sweep left half done; how many blobs were deleted."""
        ...


def stale_uploads(tmp: Path, older_than_seconds: float) -> Iterator[Path]:
    """Temporary files of uploads not written to for `older_than_seconds`: abandoned (a
    process that died mid-upload). One still streaming in is written to all the time."""
    cutoff = time.time() - older_than_seconds
    for path in sorted(tmp.iterdir()):
        try:
            if path.stat().st_mtime < cutoff:
                yield path
        except FileNotFoundError:
            continue
