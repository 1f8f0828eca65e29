"""An applicant's account and its sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, UTCDateTime
from app.serversessions import SessionColumns


class Account(Model):
    """A citizen or a business (then with its representative) who signs in. Either a local
    account (email or phone and a password) or one known to an identity provider by its
    (issuer, subject); the same person may have both ways in."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_accounts_oidc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="citizen")  # citizen, business
    email: Mapped[str | None] = mapped_column(String(255), unique=True)  # lower-cased
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2; None: SSO only
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    # The applicant's particulars, as the forms' applicant section asks them.
    name: Mapped[str | None] = mapped_column(String(255))
    personal_id: Mapped[str | None] = mapped_column(String(20))  # số định danh cá nhân
    tax_code: Mapped[str | None] = mapped_column(String(20))  # mã số thuế / doanh nghiệp
    representative_name: Mapped[str | None] = mapped_column(String(255))  # a business's
    address: Mapped[str | None] = mapped_column(String(500))
    # Which of the particulars above the identity provider vouched for: shown as verified and
    # not editable in the forms. Field names of this model, e.g. ["name", "personal_id"].
    verified: Mapped[list[str]] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    # Notification channels the applicant chose (app.notifications).
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_app: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # since the last success
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())

    def particulars(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "personal_id": self.personal_id,
            "tax_code": self.tax_code,
            "representative_name": self.representative_name,
            "address": self.address,
            "email": self.email,
            "phone": self.phone,
        }


class AccountSession(SessionColumns, Model):
    """A signed-in applicant's session, held on the server (app/serversessions.py). Deleting the
    rows of an account signs it out everywhere."""

    __tablename__ = "account_sessions"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)


class AccountToken(Model):
    """A single-use link sent by mail: verifying an email address, or resetting a password.
    Only the sha256 of the link's token is kept, so a copy of the database opens nothing."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))  # verify, reset
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
