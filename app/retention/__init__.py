"""Retention: what the portal stops keeping. The blob sweep (app/retention/sweep.py) deletes the
stored files no row references any more, from the one list of the columns that name a blob
(app/retention/references.py); `flask blobs sweep`, and `flask dossiers purge-drafts` sweeps
after purging. docs/retention.md."""

from __future__ import annotations

from flask import Flask

from app.dossiers.cli import AFTER_PURGE
from app.retention.cli import blobs_cli, report
from app.retention.sweep import sweep


def _sweep_after_purge() -> str:
    return report(sweep(), dry_run=False)


def init_app(app: Flask) -> None:
    app.cli.add_command(blobs_cli)
    app.extensions.setdefault(AFTER_PURGE, []).append(_sweep_after_purge)
