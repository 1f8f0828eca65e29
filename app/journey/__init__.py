"""The dossier journey (hành trình hồ sơ): from starting a dossier to its receipt, and back to it
later to follow its status."""

from __future__ import annotations

from flask import Flask

from app.dossiers.status import Status
from app.journey import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(views.track_bp)
    app.jinja_env.globals["status_label"] = lambda s: Status(s).label
