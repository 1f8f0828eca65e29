"""Retention: what the portal stops keeping. The blob sweep (app/retention/sweep.py) deletes the
stored files no row references any more, from the one list of the columns that name a blob
(app/retention/references.py); `flask blobs sweep`, and `flask dossiers purge-drafts` sweeps
after purging. docs/retention.md."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask

from app.dossiers.cli import AFTER_PURGE
from app.retention.cli import blobs_cli, report
from app.retention.references import is_referenced
from app.retention.sweep import sweep
from app.storage import RELEASE, StorageUnavailable, get_blobs


def _sweep_after_purge() -> str:
    try:
        return report(sweep(), dry_run=False)
    except StorageUnavailable as exc:  # the purge is done; its files wait for a later sweep
        return f"the blob store did not answer, no blob swept ({exc.reason}): run `flask blobs sweep` later"


def _release(digests: Iterable[str]) -> int:
    """app.storage.release_now: the given blobs that no column of the one list names, deleted
    now (taken aside, then a last look at the references)."""
    store = get_blobs()
    return sum(store.remove_unused(s, grace_seconds=0, used=is_referenced) for s in sorted(set(digests)))


def init_app(app: Flask) -> None:
    app.cli.add_command(blobs_cli)
    app.extensions.setdefault(AFTER_PURGE, []).append(_sweep_after_purge)
    app.extensions[RELEASE] = _release
