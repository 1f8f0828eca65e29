"""What leaves the portal for the back office: the dossier package and its manifest, sealed by
the portal; `flask --app wsgi package verify` checks one as a back office would."""

from __future__ import annotations

from flask import Flask

from app.packaging.cli import package_cli


def init_app(app: Flask) -> None:
    app.cli.add_command(package_cli)
