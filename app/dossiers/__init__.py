"""Dossiers (hồ sơ): models, the state machine, low-level records (app/dossiers/records.py)
and the dossier-only state changes (app/dossiers/services.py)."""

from __future__ import annotations

from flask import Flask

from app.dossiers import calendar
from app.dossiers.cli import dossiers_cli
from app.dossiers.status import Status


def status_label(status: str) -> str:
    return Status(status).label


def init_app(app: Flask) -> None:
    calendar.init_app(app)
    app.cli.add_command(dossiers_cli)
    app.jinja_env.globals.update(status_label=status_label)
