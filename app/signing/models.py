from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dossiers.models import Dossier
from app.extensions import Model, UTCDateTime


class DossierSignature(Model):
    """A validated signature on a dossier's declaration, with the validation report kept."""

    __tablename__ = "dossier_signatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(32))  # provider name, or "upload"
    declaration_sha256: Mapped[str] = mapped_column(String(64))  # the unsigned declaration
    # declaration.content_key of what was signed: the submission compares it with the answers'
    # own instead of rendering the declaration again (None: signed before it was kept).
    content_key: Mapped[str | None] = mapped_column(String(64))
    signed_sha256: Mapped[str] = mapped_column(String(64))  # the signed PDF, in the blob store
    signer_name: Mapped[str | None] = mapped_column(String(255))
    certificate_serial: Mapped[str | None] = mapped_column(String(80))
    certificate_issuer: Mapped[str | None] = mapped_column(String(500))
    signing_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    level: Mapped[str] = mapped_column(String(8))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())

    dossier: Mapped[Dossier] = relationship()


class ExternalSigningSession(Model):
    """A declaration prepared for a signature made outside the portal (USB token agent, remote
    signing service). The id is a one-time secret; only its hash is stored."""

    __tablename__ = "external_signing_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    # Which of the dossier's declarations (app/signing/declarations.py): "dossier", "supplement".
    kind: Mapped[str] = mapped_column(String(16), default="dossier", server_default="dossier")
    supplement_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplements.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default="open")  # open, prepared, done, failed
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    declaration_sha256: Mapped[str] = mapped_column(String(64))
    prepared_sha256: Mapped[str | None] = mapped_column(String(64))  # the PDF with its placeholder
    document_digest: Mapped[str | None] = mapped_column(String(128))  # hex
    reserved_start: Mapped[int | None] = mapped_column(Integer)
    reserved_end: Mapped[int | None] = mapped_column(Integer)
    signing_cert: Mapped[str | None] = mapped_column(String(8000))  # base64 DER
    chain: Mapped[list[str] | None] = mapped_column(JSON)
    signed_attrs: Mapped[str | None] = mapped_column(String(8000))  # base64 DER
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
