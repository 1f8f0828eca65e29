"""What the staff's deliveries page shows, and sending a dossier again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row, select

from app.delivery import worker
from app.dossiers.models import Dossier
from app.extensions import db
from app.outbox import queue
from app.outbox.models import OutboxMessage

RECENTLY_DELIVERED = 50  # shown with the back office's reference, newest first

# One row of a listing: the message, its dossier's procedure code, the back office's reference of
# the dossier (for a supplement's row, which dossier to look for there).
Listed = Row[OutboxMessage, str, str | None]


@dataclass(frozen=True)
class Deliveries:
    troubled: Sequence[Listed]  # failed, or waiting to be tried again
    delivered: Sequence[Listed]  # the most recent, newest first


@dataclass(frozen=True)
class Resent:
    code: str  # the dossier code (the message's idempotency key)
    again: bool  # False: it was delivered meanwhile, nothing to send


def listing() -> Deliveries:
    # Failed, retrying after an error, or sent again by staff (attempts back to 0, error kept).
    troubled = (OutboxMessage.attempts > 0) | OutboxMessage.last_error.is_not(None)
    rows = select(OutboxMessage, Dossier.procedure_code, queue.dossier_reference_column()).join(
        Dossier, Dossier.id == OutboxMessage.dossier_id
    )
    return Deliveries(
        troubled=db.session.execute(
            rows.where(
                (OutboxMessage.state == "failed") | ((OutboxMessage.state == "pending") & troubled)
            ).order_by(OutboxMessage.state, OutboxMessage.id)
        ).all(),
        delivered=db.session.execute(
            rows.where(OutboxMessage.state == "delivered")
            .order_by(OutboxMessage.delivered_at.desc(), OutboxMessage.id.desc())
            .limit(RECENTLY_DELIVERED)
        ).all(),
    )


def resend(message_id: int) -> Resent | None:
    """Send the message's dossier again now (one transaction); None for an unknown message."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        return None
    code = message.idempotency_key
    return Resent(code=code, again=worker.resend(code))
