"""`flask --app wsgi blobs sweep`: delete the blobs nothing references (docs/retention.md), and
`flask --app wsgi dossiers purge-drafts` followed by the sweep."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.retention.sweep import Swept, sweep
from app.storage import StorageUnavailable


@click.group("blobs", cls=AppGroup)
def blobs_cli() -> None:
    """Blob store housekeeping."""


def report(swept: Swept, *, dry_run: bool) -> str:
    verb = "would be deleted" if dry_run else "deleted"
    return (
        f"{swept.blobs} unreferenced blob(s) {verb}, {swept.kept} referenced kept, "
        f"{swept.fresh} recent left for a later sweep, {swept.tmp} stale upload file(s) {verb}"
    )


@blobs_cli.command("sweep")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
def sweep_command(dry_run: bool) -> None:
    """Delete blob files no row references (run it daily, e.g. from cron, after purge-drafts)."""
    try:
        swept = sweep(dry_run=dry_run)
    except StorageUnavailable as exc:  # S3 down or refusing us: say so, no traceback
        raise click.ClickException(f"the blob store did not answer, not swept: {exc.reason}") from None
    click.echo(report(swept, dry_run=dry_run))
