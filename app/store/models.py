"""The applicant's data store (kho quản lý dữ liệu điện tử của tổ chức, cá nhân, Decree 45/2020):
what an account submitted and received, kept to be used again instead of uploaded again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, UTCDateTime

SUBMITTED = "submitted"  # given by the applicant with a dossier
RESULT = "result"  # a result (kết quả) the agency returned: an electronic copy (bản sao điện tử)
RECEIPT = "receipt"  # the sealed receipt (biên lai) of fees paid for a dossier


class StoredDocument(Model):
    """One document in an account's store. The bytes are the blob named `sha256`, shared with the
    attachments and results that hold the same bytes: removing a row removes no blob (the
    retention sweep deletes a blob once nothing, this table included, names it)."""

    __tablename__ = "stored_documents"
    # One row per content and account: a document used again and submitted again is kept once.
    __table_args__ = (UniqueConstraint("account_id", "sha256", name="uq_stored_documents_account_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # SUBMITTED, RESULT or RECEIPT
    # Where it came from; the dossier's code and procedure are copied so that they stay known
    # after the dossier itself is purged.
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="SET NULL"), index=True)
    dossier_code: Mapped[str | None] = mapped_column(String(40))
    procedure_code: Mapped[str] = mapped_column(String(32))
    # A component's code means something only inside its procedure (TP1, TP2…); None for a result.
    component_code: Mapped[str | None] = mapped_column(String(32))
    result_code: Mapped[str | None] = mapped_column(
        String(48)
    )  # <mã hồ sơ>-KQ<n>, for a result; số biên lai, for a receipt
    document_type: Mapped[str | None] = mapped_column(String(64))  # app/catalog/document_types.py
    title: Mapped[dict[str, str]] = mapped_column(JSON)  # the component's or result's name, vi and en
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # What validation found in the original when it was a signed PDF (the attachment's).
    signatures: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
