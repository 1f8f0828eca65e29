from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, UTCDateTime


class Supplement(Model):
    """One request for supplements and the applicant's answer: open, then submitted (signed)."""

    __tablename__ = "supplements"
    __table_args__ = (UniqueConstraint("dossier_id", "number", name="uq_supplements_dossier_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # BS<n>
    requested_note: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default="open")  # open, submitted
    declaration_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_sha256: Mapped[str | None] = mapped_column(String(64))  # the signed PDF, in the blob store
    signer_name: Mapped[str | None] = mapped_column(String(255))
    certificate_serial: Mapped[str | None] = mapped_column(String(80))
    signing_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    level: Mapped[str | None] = mapped_column(String(8))
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the validation report, signer match too
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    files: Mapped[list[SupplementFile]] = relationship(
        back_populates="supplement", cascade="all, delete-orphan", order_by="SupplementFile.id"
    )


class SupplementFile(Model):
    __tablename__ = "supplement_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplement_id: Mapped[int] = mapped_column(ForeignKey("supplements.id", ondelete="CASCADE"), index=True)
    component_code: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())

    supplement: Mapped[Supplement] = relationship(back_populates="files")
