"""Operator commands: `flask --app wsgi catalog check [DIR]`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.catalog.loader import CatalogInvalid, load_folder


@click.group("catalog", cls=AppGroup)
def catalog_cli() -> None:
    """Procedure catalog commands."""


@catalog_cli.command("check")
@click.argument("folder", required=False, type=click.Path(path_type=Path))
def check(folder: Path | None) -> None:
    """Check every definition in FOLDER (default: the configured catalog folder)."""
    folder = folder or Path(current_app.config["OPENDVC"].CATALOG_DIR)
    try:
        procedures = load_folder(folder)
    except CatalogInvalid as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        raise SystemExit(f"{len(exc.errors)} error(s) in {folder}") from None
    click.echo(f"{len(procedures)} procedure(s) in {folder}: all valid")


@click.group("dossiers", cls=AppGroup)
def dossiers_cli() -> None:
    """Dossier housekeeping."""


@dossiers_cli.command("purge-drafts")
@click.option("--days", type=click.IntRange(min=1), help="Default: OPENDVC_DRAFT_RETENTION_DAYS (30).")
def purge_drafts(days: int | None) -> None:
    """Delete drafts untouched for DAYS days (run it daily, e.g. from cron)."""
    from datetime import timedelta

    from app.dossiers.services import purge_drafts as purge

    days = days or current_app.config["OPENDVC"].DRAFT_RETENTION_DAYS
    click.echo(f"{purge(timedelta(days=days))} draft(s) untouched for {days} days deleted")


def init_app(app: Flask) -> None:
    from app.backoffice.cli import deliver
    from app.packaging.cli import package_cli
    from app.signing.demo import pki_cli
    from app.staff.cli import staff_cli

    app.cli.add_command(catalog_cli)
    app.cli.add_command(dossiers_cli)
    app.cli.add_command(deliver)
    app.cli.add_command(package_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(pki_cli)
