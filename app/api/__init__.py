"""The JSON APIs: procedures for integrators, deferred signing for agents, status events from
back offices, a dossier's files by signed link; errors as problem documents."""

from __future__ import annotations

from flask import Flask

from app.api import backoffice, files, signing, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(signing.bp)
    app.register_blueprint(backoffice.bp)
    app.register_blueprint(files.bp)
