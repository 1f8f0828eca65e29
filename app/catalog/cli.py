"""`flask --app wsgi catalog check [DIR]`: check the procedure definitions.
`flask --app wsgi catalog reload`: compile the changed definitions and have every process serve them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.catalog.cache import CompiledCache
from app.catalog.loader import CatalogInvalid, compile_catalog, load_folder

RELOAD_MARK = "reload"  # a file in the cache folder: its mtime changing makes processes look again


def cache_folder(app: Flask) -> Path:
    configured = app.config["OPENDVC"].CATALOG_CACHE_DIR
    return Path(configured) if configured else Path(app.instance_path) / "catalog-cache"


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


@catalog_cli.command("reload")
def reload() -> None:
    """Compile the definitions changed on disk into the cache, then have every process using
    this cache serve them at its next request. Nothing changes if one is invalid."""
    folder = Path(current_app.config["OPENDVC"].CATALOG_DIR)
    cache = CompiledCache(cache_folder(current_app))
    compiled = compile_catalog(folder, cache, cache.snapshot(folder))
    if compiled.errors:
        for error in compiled.errors:
            click.echo(str(error), err=True)
        raise SystemExit(f"{len(compiled.errors)} error(s) in {folder}: the catalog served is unchanged")
    # Replaced, not touched: a new inode each time, so that two reloads within one mtime tick
    # are still two changes.
    cache.root.mkdir(parents=True, exist_ok=True)
    temporary = cache.root / f".{RELOAD_MARK}.{os.getpid()}.tmp"
    temporary.write_text(f"{time.time_ns()}\n", encoding="ascii")
    os.replace(temporary, cache.root / RELOAD_MARK)
    click.echo(f"{len(compiled.records)} procedure(s) in {folder}, {compiled.checked} checked: reloading")
