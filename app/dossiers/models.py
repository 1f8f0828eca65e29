from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dossiers.status import Status
from app.extensions import Model, UTCDateTime

Timestamp = UTCDateTime()


class Dossier(Model):
    """Hồ sơ: one application for one procedure, from draft to result."""

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # in URLs; grants nothing alone
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the access secret
    procedure_code: Mapped[str] = mapped_column(String(32), index=True)
    procedure_version: Mapped[str] = mapped_column(ForeignKey("procedure_versions.version"))
    status: Mapped[Status] = mapped_column(String(32), default=Status.DRAFT)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    code: Mapped[str | None] = mapped_column(String(40), unique=True)  # mã hồ sơ, once submitted
    received_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Before acceptance the date the applicant may expect (ngày dự kiến); from acceptance on the
    # promised date (ngày hẹn trả), the agency's when it sent one; its changes are in `events`.
    due_on: Mapped[date | None] = mapped_column(Date)
    applicant_name: Mapped[str | None] = mapped_column(String(255))
    applicant_identifier: Mapped[str | None] = mapped_column(String(20))
    applicant_email: Mapped[str | None] = mapped_column(String(255))
    applicant_phone: Mapped[str | None] = mapped_column(String(20))
    # citizen, business, organisation, foreigner (app.catalog.schema.ApplicantKind), at submission
    applicant_kind: Mapped[str | None] = mapped_column(String(20))
    # The applicant's account, if the dossier was started signed in or claimed with its secret;
    # then only that account reaches it (app.dossiers.access).
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    receipt_sha256: Mapped[str | None] = mapped_column(String(64))  # sealed receipt PDF, at acceptance
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now(), onupdate=func.now())
    # Answers or documents last changed (not the state): the declaration's date comes from it.
    content_changed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="dossier", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[DossierEvent]] = relationship(
        back_populates="dossier", order_by="DossierEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version_id}  # two concurrent changes: one fails, none lost

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    @property
    def submitted(self) -> bool:
        """Submitted and not a draft again: a dossier taken back from waiting for its fees keeps
        its code, but it has no acknowledgement of submission until it is submitted again."""
        return self.code is not None and self.status not in (Status.DRAFT, Status.SIGNED)


class DossierEvent(Model):
    """One row of a dossier's history: every change of state, and who made it."""

    __tablename__ = "dossier_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(Timestamp)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(32))  # applicant, system, backoffice
    note: Mapped[str | None] = mapped_column(Text)
    # The promised date (NgayHenTra) this event set: on acceptance, after a supplement, or on an
    # extension (then from_status == to_status, and `apology` is the agency's apology).
    promised_on: Mapped[date | None] = mapped_column(Date)
    apology: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship(back_populates="events")


class Attachment(Model):
    """One file given for one dossier component (thành phần hồ sơ). The bytes live in the blob store."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    component_code: Mapped[str] = mapped_column(String(32))
    # For a component given once per entry of a repeatable group (per_entry_of): the entry's
    # position, 0 for the first; None otherwise, or once its entry is gone from the answers.
    entry: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # For a PDF that is itself signed (a consultant-signed report): what validation found.
    signatures: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    dossier: Mapped[Dossier] = relationship(back_populates="attachments")


class DossierSequence(Model):
    """The last number given out for an agency on a day: the NNNN of <agency>-YYMMDD-NNNN."""

    __tablename__ = "dossier_sequences"

    agency_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
