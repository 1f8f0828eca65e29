from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, UTCDateTime


class ResultDocument(Model):
    """A result document of a dossier, coded `<mã hồ sơ>-KQ<n>`, kept in the blob store."""

    __tablename__ = "result_documents"
    __table_args__ = (UniqueConstraint("dossier_id", "number", name="uq_result_documents_dossier_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    signer_name: Mapped[str | None] = mapped_column(String(255))
    signing_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
