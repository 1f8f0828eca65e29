"""`flask --app wsgi payments reconcile`: one reconciliation round, or (`--every SECONDS`) the
reconciliation worker, a process of its own that stops cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.payments import services

logger = logging.getLogger(__name__)


def summary(counts: dict[str, int]) -> str:
    """What a round came to, e.g. "settled 2, expired 1"; "nothing to reconcile"."""
    if not counts:
        return "nothing to reconcile"
    return ", ".join(f"{outcome.replace('_', ' ')} {count}" for outcome, count in sorted(counts.items()))


@click.group("payments")
def payments_cli() -> None:
    """Fees paid online: reconciliation with the payment providers."""


@payments_cli.command("reconcile")
@click.option(
    "--every",
    type=click.FloatRange(min=0.1),
    metavar="SECONDS",
    help="Run a round every SECONDS until stopped (SIGTERM, SIGINT), instead of once.",
)
@click.option(
    "--limit", default=200, show_default=True, type=click.IntRange(min=1), help="Payments asked per round."
)
@with_appcontext
def reconcile(every: float | None, limit: int) -> None:
    """Ask the providers about the payments left started, settle them, flag refunds. Once, it
    exits 1 when asking about a payment failed unexpectedly (the log says which)."""
    if every is None:
        counts = services.reconcile(limit=limit)
        click.echo(summary(counts))
        if counts.get("error"):
            raise SystemExit(1)
        return
    stop = threading.Event()

    def ask_to_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()  # the round under way ends; no new one starts

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"reconciling every {every:g} s; SIGTERM or SIGINT stops")
    try:
        while not stop.is_set():
            try:
                counts = services.reconcile(limit=limit)
            except Exception:  # the database away for a moment: the next round tries again
                db.session.rollback()
                logger.exception("reconciliation round failed; next in %s s", every)
            else:
                if counts:
                    click.echo(summary(counts))
            stop.wait(every)  # a schedule, not a condition: woken early only to stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("stopped")
