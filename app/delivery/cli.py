"""`flask --app wsgi deliver`: the delivery worker, and the operator's view of failures."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from app.delivery import worker
from app.outbox import queue


@click.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due, then stop.")
@click.option("--resend", metavar="CODE", help="Send this dossier again now (after a failure).")
@click.option("--failed", "list_failed", is_flag=True, help="List the deliveries that failed.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds when looping.")
@with_appcontext
def deliver(once: bool, resend: str | None, list_failed: bool, interval: float) -> None:
    """Deliver submitted dossiers to the back office, retrying with backoff."""
    if list_failed:
        for message in queue.failed():
            click.echo(
                f"{message.idempotency_key}\t{message.adapter}\t{message.attempts}\t{message.last_error}"
            )
        return
    if resend:
        if not worker.resend(resend):
            raise click.ClickException(f"no failed or pending delivery for {resend}")
        click.echo(f"{resend} will be sent again")
        if not once:
            return
    while True:
        result = worker.deliver_due()
        if result.delivered or result.retrying or result.failed:
            counts = (len(result.delivered), len(result.retrying), len(result.failed))
            click.echo("delivered {}, retrying {}, failed {}".format(*counts))
        if once:
            return
        time.sleep(interval)
