"""Which columns name a blob: the one list the sweep reads to know a blob is still in use.

Every column that holds the sha256 of something written to the blob store (app/storage) is
named in REFERENCES. A column named like a digest that does not name a stored blob is named in
EXEMPT with the reason. tests/retention/test_references.py fails when a model gains a column
named `*sha256` (or `*_digest`, `*hash`) that is in neither, so a new kind of stored file cannot be
forgotten and swept while still in use. Adding a reference is one line below.
"""

from __future__ import annotations

from sqlalchemy import exists, select, union
from sqlalchemy.orm import InstrumentedAttribute

from app.dossiers.models import Attachment, Dossier
from app.extensions import db
from app.payments.models import Payment
from app.results.models import ResultDocument
from app.signing.models import DossierSignature, ExternalSigningSession
from app.store.models import StoredDocument
from app.supplements.models import Supplement, SupplementFile

REFERENCES: tuple[InstrumentedAttribute[str | None], ...] = (
    Attachment.sha256,  # a dossier's attachments (thành phần hồ sơ)
    Dossier.receipt_sha256,  # the sealed receipt (giấy tiếp nhận), at acceptance
    DossierSignature.signed_sha256,  # the signed declaration
    ExternalSigningSession.prepared_sha256,  # a declaration prepared for an outside signature
    Supplement.signed_sha256,  # a supplement's signed declaration
    SupplementFile.sha256,  # a supplement's files
    ResultDocument.sha256,  # the agency's results (<mã hồ sơ>-KQ<n>)
    StoredDocument.sha256,  # the applicant's store (My documents): its own copies, kept
    Payment.receipt_sha256,  # a payment's sealed receipt (biên lai)
)

# "table.column" -> why it does not name a blob.
EXEMPT: dict[str, str] = {
    "dossier_signatures.declaration_sha256": "the unsigned declaration, made again on demand, never stored",
    "external_signing_sessions.declaration_sha256": "the unsigned declaration, never stored",
    "supplements.declaration_sha256": "the unsigned supplement declaration, never stored",
    "external_signing_sessions.document_digest": "the digest a signer signs, not a file",
    "dossiers.secret_hash": "the hash of the dossier's access secret",
    "external_signing_sessions.token_hash": "the hash of a one-time signing token",
    "staff_sessions.token_hash": "the hash of a staff session token",
    "account_sessions.token_hash": "the hash of an account session token",
    "accounts.password_hash": "an argon2 password hash",
    "staff_users.password_hash": "a password hash",
    "account_tokens.token_hash": "the hash of an account's one-time link token",
}


def name_of(column: InstrumentedAttribute[str | None]) -> str:
    return f"{column.class_.__tablename__}.{column.key}"


def referenced() -> set[str]:
    """Every digest a row names now (one query)."""
    query = union(*(select(c.label("sha256")).where(c.is_not(None)) for c in REFERENCES))
    return set(db.session.scalars(select(query.subquery().c.sha256)))


def is_referenced(sha256: str) -> bool:
    """Whether any row names this digest now, read in a transaction of its own: the sweep asks
    right before it deletes, and must see rows committed a moment ago."""
    db.session.rollback()  # a fresh snapshot, not the one the sweep began with
    found = any(db.session.scalar(select(exists().where(c == sha256))) for c in REFERENCES)
    db.session.rollback()
    return found
