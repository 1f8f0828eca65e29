"""The dossier journey (hành trình hồ sơ): start, fill, attach, review, sign, submit, receipt, and
back to it later to follow its status."""

from __future__ import annotations

from flask import Flask

from app.journey import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(views.track_bp)
