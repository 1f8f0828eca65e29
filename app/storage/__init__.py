"""Content-addressed blob store: files named by their sha256, written atomically.

A blob is written to a temporary file while it streams in, hashed on the way, then fsynced
and renamed into place; an upload that is refused is never renamed and leaves nothing.

Blobs are deleted only by the sweep (app/retention/sweep.py), never by the code that stops
using one, because the same bytes may be reused at any moment: `commit` dedupes by digest. The
guard against deleting a blob an upload is about to reuse lives in two places here:
`commit` refreshes the modification time of a blob it reuses (and writes it anew if the blob
vanished meanwhile), and `remove_unused` takes a blob aside by an atomic rename before it looks
at that time and at the references once more. Either the reuse touched the blob before the
rename (the sweep sees a fresh blob and puts it back) or after it (the reuse finds no blob and
writes its own copy): no interleaving loses the bytes of an upload.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
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
        try:
            # Same bytes already stored: reuse them, and say so by their modification time, which
            # the sweep reads (a blob reused within its grace period is never deleted).
            os.utime(target)
        except FileNotFoundError:
            pass  # not stored, or taken aside by the sweep this instant: ours goes in its place
        else:
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

    def digests(self) -> Iterator[tuple[str, float]]:
        """Every stored blob: its sha256 and its modification time (seconds since the epoch)."""
        for folder in sorted(self.root.iterdir()):
            if len(folder.name) != 2 or not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if len(path.name) == 64 and path.name.startswith(folder.name):
                    try:
                        yield path.name, path.stat().st_mtime
                    except FileNotFoundError:  # removed meanwhile
                        continue

    def leftovers(self) -> Iterator[Path]:
        """Files taken aside by a sweep that stopped before it decided (`<sha256>.sweep-*`)."""
        yield from sorted(self.root.glob("??/*.sweep-*"))

    def remove_unused(self, sha256: str, *, grace_seconds: float, used: Callable[[str], bool]) -> bool:
        """Delete the blob unless it was stored or reused within `grace_seconds`, or `used(sha256)`
        says a row names it now; True when deleted. The blob is first renamed aside, so that a
        concurrent `commit` of the same bytes either touched it before (it is put back) or finds
        it gone and writes its own copy; `used` is asked after the rename, so a row committed
        up to that moment keeps it."""
        target = self.path(sha256)
        aside = target.with_name(f"{sha256}.sweep-{secrets.token_hex(4)}")
        try:
            os.rename(target, aside)
        except FileNotFoundError:
            return False
        return self._decide(aside, target, grace_seconds=grace_seconds, used=used)

    def settle_leftover(self, aside: Path, *, grace_seconds: float, used: Callable[[str], bool]) -> bool:
        """A file a sweep took aside and never decided on: put back or deleted, by the same rule."""
        sha256 = aside.name.split(".", 1)[0]
        return self._decide(aside, self.path(sha256), grace_seconds=grace_seconds, used=used)

    def _decide(
        self, aside: Path, target: Path, *, grace_seconds: float, used: Callable[[str], bool]
    ) -> bool:
        sha256 = target.name
        try:
            fresh = time.time() - aside.stat().st_mtime < grace_seconds
        except FileNotFoundError:
            return False
        if fresh or used(sha256):
            # Back under its name; a copy written meanwhile holds the same bytes (content-addressed).
            os.replace(aside, target)
            return False
        aside.unlink(missing_ok=True)
        return True

    def stale_uploads(self, older_than_seconds: float) -> Iterator[Path]:
        """Temporary files of uploads not written to for `older_than_seconds`: abandoned (a
        process that died mid-upload). One still streaming in is written to all the time."""
        cutoff = time.time() - older_than_seconds
        for path in sorted(self.tmp.iterdir()):
            try:
                if path.stat().st_mtime < cutoff:
                    yield path
            except FileNotFoundError:
                continue


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


def init_app(app: Flask) -> None:
    app.extensions["opendvc.blobs"] = BlobStore(Path(app.config["BLOB_DIR"]))


def get_blobs() -> BlobStore:
    return current_app.extensions["opendvc.blobs"]
