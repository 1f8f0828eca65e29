"""`flask --app wsgi catalog check [DIR]`: check the procedure definitions."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
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
