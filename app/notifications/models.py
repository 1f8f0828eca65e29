"""A notification's content, fixed when it is queued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, UTCDateTime


class Notification(Model):
    """What one outbox row of kind "notification" sends: to whom, and the text rendered in the
    applicant's language when the change that caused it happened. A later change of the profile
    or of the dossier does not change a message already queued: a retry sends the same thing."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    # What caused it: a history row (dossier_events: the submission, an event, an extension), or
    # a payment received (payments), the one or the other.
    event_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("dossier_events.id", ondelete="CASCADE")
    )
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # email, sms, message-app
    recipient: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
