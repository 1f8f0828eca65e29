"""Kept for the callers that import from here: the identifiers live with their field types."""

from __future__ import annotations

from app.fields.identifiers import (
    PROVINCE_CODES,
    InvalidIdentifier,
    email,
    holder_kind,
    personal_id,
    phone,
    tax_check_digit,
    tax_code,
)

__all__ = [
    "PROVINCE_CODES",
    "InvalidIdentifier",
    "email",
    "holder_kind",
    "personal_id",
    "phone",
    "tax_check_digit",
    "tax_code",
]
