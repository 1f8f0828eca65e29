"""The status events back offices posted, each kept once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, UTCDateTime


class StatusEventRecord(Model):
    """A status event a back office posted, kept once: its id makes a replay harmless."""

    __tablename__ = "backoffice_events"
    __table_args__ = (
        UniqueConstraint("dossier_id", "sequence", name="uq_backoffice_events_dossier_sequence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    backoffice: Mapped[str] = mapped_column(String(64))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    promised_on: Mapped[date | None] = mapped_column(Date)  # NgayHenTra, when the event set one
    apology: Mapped[str | None] = mapped_column(Text)  # with an extension of the promised date
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
