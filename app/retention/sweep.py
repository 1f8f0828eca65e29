"""The sweep: blob files no row names any more are deleted (a removed attachment, a purged
draft, a removed document). Nothing else deletes a blob: what stops using one only deletes its row.

Why it cannot delete a blob a concurrent upload is about to reuse. The store dedupes by digest
(app/storage BlobStore.commit): an upload whose bytes are already stored keeps no copy of its
own and, a moment later, commits a row naming the stored blob. Between the two, no row names it.
So:
1. `commit` marks the blob used now when it reuses it (a file's modification time; an S3
   object's Last-Modified, by copying it onto itself), and the sweep never deletes a blob stored
   or reused within BLOB_SWEEP_GRACE_SECONDS (default one hour, far longer than any request
   takes between storing its file and committing its row);
2. right before deleting, the store looks once more at that time and asks the database again.
   The local store takes the file aside by an atomic rename first: a reuse that touched it before
   the rename is seen (it is put back), a reuse after it finds no file and writes its own copy.
   S3 has no rename: the object is read (HEAD) after the second look at the references and
   deleted at once, which leaves the window of that one round trip (app/storage/s3.py,
   docs/storage.md).
A local sweep that stops between the rename and its decision leaves `<sha256>.sweep-*`; the next
one decides on it by the same rule. Temporary files of uploads (tmp/ of the blob folder, for
either store) are deleted only when nothing has written to them for BLOB_TMP_GRACE_SECONDS (a
day): an upload in flight writes all the time.

Running it twice deletes nothing the second time: what the first left is referenced or fresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app

from app.retention.references import is_referenced, referenced
from app.storage import get_blobs, stale_uploads


@dataclass
class Swept:
    blobs: int = 0  # blob files deleted (or, dry, that would be)
    kept: int = 0  # blob files still named by a row
    fresh: int = 0  # unreferenced but within the grace period: left for a later sweep
    tmp: int = 0  # stale temporary upload files deleted


def candidates(grace_seconds: float) -> tuple[list[str], int, int]:
    """The blobs no row names and nothing stored or reused within the grace period, from one
    reading of the references; with how many are referenced and how many are fresh."""
    now = time.time()
    named = referenced()
    found: list[str] = []
    kept = fresh = 0
    for sha256, mtime in get_blobs().digests():
        if sha256 in named:
            kept += 1
        elif now - mtime < grace_seconds:
            fresh += 1
        else:
            found.append(sha256)
    return found, kept, fresh


def remove(found: list[str], grace_seconds: float) -> int:
    """Delete these candidates, each only if, taken aside, it is still old and unreferenced;
    how many were deleted."""
    store = get_blobs()
    return sum(store.remove_unused(s, grace_seconds=grace_seconds, used=is_referenced) for s in found)


def sweep(*, dry_run: bool = False) -> Swept:
    """One sweep of the blob store (see the module's docstring); `dry_run` deletes nothing and
    counts what would go."""
    settings = current_app.config["OPENDVC"]
    grace, tmp_grace = settings.BLOB_SWEEP_GRACE_SECONDS, settings.BLOB_TMP_GRACE_SECONDS
    store = get_blobs()
    found, kept, fresh = candidates(grace)
    stale = list(stale_uploads(store.tmp, tmp_grace))
    if dry_run:
        return Swept(blobs=len(found), kept=kept, fresh=fresh, tmp=len(stale))
    swept = Swept(kept=kept, fresh=fresh)
    swept.blobs += store.settle_leftovers(grace_seconds=grace, used=is_referenced)
    deleted = remove(found, grace)
    swept.blobs += deleted
    swept.kept += len(found) - deleted  # named again, or reused, since they were listed
    for path in stale:
        path.unlink(missing_ok=True)
        swept.tmp += 1
    return swept
