"""The outbox's rows: one per message to a back office."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, UTCDateTime

# A message to the applicant (app.notifications), not to the back office: it is delivered on
# its own, never waiting for the dossier's back-office messages nor holding them up.
NOTIFICATION = "notification"


class OutboxMessage(Model):
    """Something that must leave the portal, written in the same transaction as the state change
    that caused it. A worker delivers it; the dossier code is the idempotency key."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("kind", "idempotency_key", name="uq_outbox_kind_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(
        String(32)
    )  # submission, supplement, withdrawal, rating, payment, notification
    supplement_id: Mapped[int | None] = mapped_column(ForeignKey("supplements.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    # What the message carries that no other row keeps as it was when queued: a rating's score,
    # channel and time (rating again changes the rating and queues another message); what a
    # payment paid.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    adapter: Mapped[str] = mapped_column(String(64))  # a notification's: its channel
    state: Mapped[str] = mapped_column(
        String(16), default="pending", index=True
    )  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a worker's lease
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(255))  # the back office's reference
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
