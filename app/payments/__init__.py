"""Fees paid online (docs/payments.md): charges and payments (models), the providers found
through the `opendvc.payments` entry point group (providers.py), settling from the providers'
notifications and queries, reconciliation (services.py; `flask payments reconcile`, cli.py), and
the sealed receipts (receipts.py)."""

from __future__ import annotations

from flask import Flask

from app.payments.cli import payments_cli
from app.payments.providers import Providers

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    """The providers offered, their options checked: a wrong one stops start-up; and the
    reconciliation command."""
    app.extensions["opendvc.payments"] = Providers(app.config["OPENDVC"])
    app.cli.add_command(payments_cli)
