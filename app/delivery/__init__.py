"""Delivery: the worker that takes the outbox's messages to the back offices (app/delivery/
worker.py), the packages it builds from the database, `flask deliver`, and the in-process
worker thread of the embedded default."""

from __future__ import annotations

from flask import Flask

from app.delivery import inprocess
from app.delivery.cli import deliver


def init_app(app: Flask) -> None:
    app.cli.add_command(deliver)
    if app.config["OPENDVC"].DELIVERY_IN_PROCESS:
        app.extensions["opendvc.delivery_thread"] = inprocess.start(app)
