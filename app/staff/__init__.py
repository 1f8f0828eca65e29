"""Staff: the people at the agency who look after deliveries. Accounts are made on the command
line (`flask --app wsgi staff add NAME`); passwords are kept only as scrypt hashes."""

from __future__ import annotations

from flask import Flask

from app.staff import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
