from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, UTCDateTime


class Rating(Model):
    """One applicant's satisfaction with the service for one dossier (1 = very dissatisfied,
    5 = very satisfied), given after the receipt; a second answer replaces the first."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16), default="kiosk")  # kiosk or online
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
