"""The local blob store: files named by their sha256 in a folder (BLOB_DIR), written atomically.

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

import io
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from app.storage.base import BlobReader, BlobWriter, checked


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def check(self) -> None:
        pass  # the folder was made above; a folder we cannot write fails at the first upload

    def writer(self, limit: int) -> BlobWriter:
        return BlobWriter(self.tmp, limit)

    def path(self, sha256: str) -> Path:
        """Where the blob lives on this machine: for this store's tests and tools only; the
        portal reads blobs through `open`, which every store has."""
        checked(sha256)
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
        writer = self.writer(limit=len(data))
        writer.write(data)
        return self.commit(writer)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BlobReader:
        raw = io.FileIO(self.path(sha256), "rb")
        return BlobReader(raw, os.fstat(raw.fileno()).st_size)

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def digests(self) -> Iterator[tuple[str, float]]:
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
        """The blob is first renamed aside, so that a concurrent `commit` of the same bytes either
        touched it before (it is put back) or finds it gone and writes its own copy; `used` is
        asked after the rename, so a row committed up to that moment keeps it."""
        target = self.path(sha256)
        aside = target.with_name(f"{sha256}.sweep-{secrets.token_hex(4)}")
        try:
            os.rename(target, aside)
        except FileNotFoundError:
            return False
        return self._decide(aside, target, grace_seconds=grace_seconds, used=used)

    def settle_leftovers(self, *, grace_seconds: float, used: Callable[[str], bool]) -> int:
        """Files a sweep took aside and never decided on: put back or deleted, by the same rule."""
        deleted = 0
        for aside in self.leftovers():
            sha256 = aside.name.split(".", 1)[0]
            deleted += self._decide(aside, self.path(sha256), grace_seconds=grace_seconds, used=used)
        return deleted

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
