"""The embedded default: the delivery worker as a thread of the web process (`make run`), which
also runs a payment reconciliation round after each delivery round.

Deployments with several processes leave OPENDVC_DELIVERY_IN_PROCESS off and run
`flask --app wsgi deliver` workers and a `flask --app wsgi payments reconcile --every 60`
worker instead.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from app.delivery.worker import deliver_due
from app.payments.services import reconcile

logger = logging.getLogger(__name__)


def start(app: Flask, interval: float = 2.0) -> threading.Event:
    """Start the worker thread; set the returned event to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                with app.app_context():
                    result = deliver_due()
                if result.delivered or result.failed:
                    logger.info("delivered %s, failed %s", result.delivered, result.failed)
            except Exception:
                logger.exception("delivery round failed; retrying in %s s", interval)
            try:  # apart: a provider's trouble never holds up deliveries, nor the reverse
                with app.app_context():
                    counts = reconcile()
                if counts:
                    logger.info("payments reconciled: %s", counts)
            except Exception:
                logger.exception("reconciliation round failed; retrying in %s s", interval)

    threading.Thread(target=loop, name="opendvc-delivery", daemon=True).start()
    return stop
