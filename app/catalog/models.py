from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, UTCDateTime


class ProcedureVersion(Model):
    """The exact definition a dossier was started with, kept so that editing or removing a
    catalog file never breaks a dossier in flight."""

    __tablename__ = "procedure_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the file
    code: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
