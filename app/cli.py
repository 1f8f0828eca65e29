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


def init_app(app: Flask) -> None:
    from app.backoffice.cli import deliver
    from app.packaging.cli import package_cli
    from app.signing.demo import pki_cli
    from app.staff.cli import staff_cli

    app.cli.add_command(catalog_cli)
    app.cli.add_command(deliver)
    app.cli.add_command(package_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(pki_cli)
