"""What a dossier owes and how it was paid.

A charge (khoản phải nộp) is what the applicant is asked to pay at one time: the fees known at
submission (from the definition, for the answers given), or what the agency asks with a status 6
event (yêu cầu thực hiện nghĩa vụ tài chính). Each item is a phí or a lệ phí with its code,
name and amount. A charge is paid once.

A payment (giao dịch) is one attempt at paying a charge through one provider. Many may be
started for one charge (a refused card, then another bank); only the provider's server-to-server
notification, or its answer to a query, settles one. A payment that is paid when its charge is
no longer due (paid by another attempt, cancelled, or its dossier withdrawn) keeps the money's
trace and is flagged for refund. Every paid payment has its receipt (biên lai), sealed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dossiers.models import Dossier
from app.extensions import Model, UTCDateTime

Timestamp = UTCDateTime()

# Charge.origin
AT_SUBMISSION = "submission"  # the fees of the definition, known when the dossier is submitted
REQUESTED = "request"  # asked by the agency (status 6)

# Charge.state
DUE = "due"
PAID = "paid"
CANCELLED = "cancelled"  # the dossier went back to a draft, or was withdrawn, before paying

# Payment.state
STARTED = "started"  # sent to the provider, nothing settled yet
FAILED = "failed"  # the provider said it was not paid (refused, cancelled, timed out)
EXPIRED = "expired"  # never settled, and the provider knows nothing of it past its time

# Payment.last_check: what reconciliation's last question about a started payment came to.
CHECK_PENDING = "pending"  # the provider says not settled yet
CHECK_UNKNOWN = "unknown"  # the provider knows nothing of it (yet): expires in time
CHECK_UNAVAILABLE = "unavailable"  # the provider could not be asked
CHECK_MISMATCH = "mismatch"  # its report does not match what was asked (Payment.message says how)
CHECK_NOT_OFFERED = "not offered"  # its provider is no longer configured: left for the staff
CHECK_ERROR = "error"  # asking it failed unexpectedly (logged)


class Charge(Model):
    """Khoản phải nộp: one amount asked of a dossier, with its items."""

    __tablename__ = "payment_charges"
    __table_args__ = (UniqueConstraint("dossier_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # counts a dossier's charges from 1: <code>-TT<n>
    origin: Mapped[str] = mapped_column(String(16))  # AT_SUBMISSION or REQUESTED
    event_id: Mapped[str | None] = mapped_column(String(128))  # the status event that asked for it
    # Paid before the dossier is sent (it waits, AWAITING_PAYMENT), or after (the back office is
    # told when it is paid).
    before_sending: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"code", "kind" (phi / le_phi), "name" (Vietnamese), "amount" (VND)}], as asked
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    amount: Mapped[int] = mapped_column(BigInteger)  # VND, the items' sum
    state: Mapped[str] = mapped_column(String(16), default=DUE)
    paid_by: Mapped[int | None] = mapped_column(Integer)  # the payment that paid it (payments.id)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    paid_at: Mapped[datetime | None] = mapped_column(Timestamp)
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    dossier: Mapped[Dossier] = relationship()
    payments: Mapped[list[Payment]] = relationship(
        back_populates="charge", order_by="Payment.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version_id}  # two payments settling at once: one wins


class Payment(Model):
    """Giao dịch: one attempt at paying a charge, through one provider."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("receipt_symbol", "receipt_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Ours, given to the provider as the transaction's reference (vnp_TxnRef, KeyPay's
    # merchant_trans_id); random, so that it tells nothing and cannot be guessed.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("payment_charges.id", ondelete="CASCADE"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)  # VND: the charge's, when it was started
    state: Mapped[str] = mapped_column(String(16), default=STARTED, index=True)
    provider_reference: Mapped[str | None] = mapped_column(String(64))  # the gateway's transaction no
    response_code: Mapped[str | None] = mapped_column(String(32))  # the provider's, as it said it
    message: Mapped[str | None] = mapped_column(Text)  # what the provider said, or why it was refused
    settled_via: Mapped[str | None] = mapped_column(String(16))  # "notification" or "query"
    refund_due: Mapped[bool] = mapped_column(Boolean, default=False)
    refund_reason: Mapped[str | None] = mapped_column(String(64))
    # Biên lai: its symbol (ký hiệu AA-<yy>E) and its number, consecutive from 1 within the
    # symbol (Circular 78/2021): unique per symbol, not across years.
    receipt_symbol: Mapped[str | None] = mapped_column(String(16))
    receipt_number: Mapped[str | None] = mapped_column(String(32))  # biên lai số
    receipt_sha256: Mapped[str | None] = mapped_column(String(64))  # the sealed receipt PDF
    started_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    settled_at: Mapped[datetime | None] = mapped_column(Timestamp)
    checked_at: Mapped[datetime | None] = mapped_column(Timestamp)  # last asked by reconciliation
    checks: Mapped[int] = mapped_column(Integer, default=0)  # asked without an answer that settles
    # Reconciliation: not asked again before this (backs off a provider that keeps not answering),
    # and what the last question came to (CHECK_*), for the staff's page.
    next_check_at: Mapped[datetime | None] = mapped_column(Timestamp, index=True)
    last_check: Mapped[str | None] = mapped_column(String(16))
    # The refund of a refund_due payment, as the staff member who made it recorded it.
    refunded_at: Mapped[datetime | None] = mapped_column(Timestamp)
    refunded_by: Mapped[str | None] = mapped_column(String(64))  # the staff member's name
    refund_note: Mapped[str | None] = mapped_column(String(200))  # e.g. the bank transfer's number
    version_id: Mapped[int] = mapped_column(Integer, default=1)

    charge: Mapped[Charge] = relationship(back_populates="payments")
    dossier: Mapped[Dossier] = relationship()

    __mapper_args__ = {"version_id_col": version_id}  # a notification and a query at once: one wins


class ReceiptSequence(Model):
    """The last receipt number given out within a symbol (ký hiệu AA-<yy>E): receipts are
    numbered from 1 in each symbol, one after the other, only when one is issued."""

    __tablename__ = "receipt_sequences"

    symbol: Mapped[str] = mapped_column(String(16), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
