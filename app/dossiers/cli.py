"""`flask --app wsgi dossiers purge-drafts`: dossier housekeeping."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from app.dossiers.services import purge_drafts as purge

# Registered by higher layers' init_app: callables run after a purge, each returning a line to
# print. The dossiers cannot import the sweep (app/retention sits above them).
AFTER_PURGE = "opendvc.after_purge"


@click.group("dossiers", cls=AppGroup)
def dossiers_cli() -> None:
    """Dossier housekeeping."""


@dossiers_cli.command("purge-drafts")
@click.option("--days", type=click.IntRange(min=1), help="Default: OPENDVC_DRAFT_RETENTION_DAYS (30).")
def purge_drafts(days: int | None) -> None:
    """Delete drafts untouched for DAYS days (run it daily, e.g. from cron), then what runs after
    a purge: the blob sweep (app/retention), which deletes the purged drafts' files."""
    days = days or current_app.config["OPENDVC"].DRAFT_RETENTION_DAYS
    click.echo(f"{purge(timedelta(days=days))} draft(s) untouched for {days} days deleted")
    for then in current_app.extensions.get(AFTER_PURGE, ()):
        click.echo(then())
