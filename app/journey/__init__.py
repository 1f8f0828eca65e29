"""The dossier journey (hành trình hồ sơ): start, fill, attach, review, sign, submit, pay,
receipt, and back to it later to follow its status."""

from __future__ import annotations

from flask import Flask

from app.journey import paying, submission, views
from app.payments import services as payments


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(views.track_bp)
    app.register_blueprint(paying.bp)
    # A dossier waiting for its fees goes out when they are paid (in the settling transaction).
    payments.on_paid(app, submission.send_when_paid)
