"""What a dossier package is made of, as plain values: no database, no application context.
app/delivery/packages.py reads them from a dossier; a test can write them by hand."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

# Opens a stored file by its sha256 (the blob store's `open`).
BlobOpener = Callable[[str], AbstractContextManager[BinaryIO]]


@dataclass(frozen=True)
class Fee:
    """A fee due for the dossier's answers (app/dossiers/fees.py), in Vietnamese."""

    name: str
    amount: int | None  # VND; None when the agency fixes it later by decision
    code: str | None = None  # MaPhiLePhi
    kind: str = "le_phi"  # "phi" or "le_phi"
    basis: str = "fixed"  # fixed, tiers, per_unit, decided_later
    quantity: str | None = None  # the declared number a tier or a per-unit amount came from
    unit: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class CaseFacts:
    """Trường hợp: the case of the procedure the applicant picked."""

    code: str
    name: str
    processing_days: int
    processing_unit: str


@dataclass(frozen=True)
class ProcedureFacts:
    """The pinned definition the dossier was started with, in Vietnamese."""

    code: str
    name: str
    version: str
    agency_code: str
    field_code: str
    field_name: str
    fees: tuple[Fee, ...] = ()
    component_names: Mapping[str, str] = field(default_factory=dict)  # code → name
    agency_name: str = ""  # the receiving agency (DonViXuLy of the national record)
    case: CaseFacts | None = None


@dataclass(frozen=True)
class Person:
    """An authorised submitter or a member of a liên danh."""

    name: str | None = None
    identifier: str | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Applicant:
    name: str | None = None
    identifier: str | None = None
    email: str | None = None
    phone: str | None = None
    kind: str | None = None  # citizen, business, organisation, foreigner; None when not known
    submitter: Person | None = None  # người được ủy quyền, when one files for the applicant
    co_applicants: tuple[Person, ...] = ()  # the other members of a liên danh


@dataclass(frozen=True)
class PackageFile:
    """An attachment of the dossier, or a file of a supplement."""

    component_code: str
    filename: str
    media_type: str
    size: int
    sha256: str
    signatures: tuple[dict[str, Any], ...] = ()  # what validation found in a signed PDF
    entry: int | None = None  # for a document per entry of a group: the entry's position
    entry_label: str | None = None  # and how it is named ("Giếng 2: GK-02")


@dataclass(frozen=True)
class RequiredDocument:
    """A document the dossier's answers asked for (one per entry for a document per entry)."""

    code: str
    name: str
    required: bool  # for these answers (a `required_when` that held, or always)
    entry: int | None = None
    entry_label: str | None = None


@dataclass(frozen=True)
class DeclarationFacts:
    """The signed declaration (the dossier's, or a supplement's) and what its validation found."""

    path: str  # inside the package
    sha256: str  # the signed PDF, in the blob store
    unsigned_sha256: str
    signer_name: str | None
    certificate_serial: str | None
    signing_time: datetime | None
    level: str | None
    signer_match: Any = None  # OPENDVC_SIGNER_MATCH's finding, for the official
    certificate_issuer: str | None = None
    names_issuer: bool = True  # a supplement's declaration names no issuer (format 1)


@dataclass(frozen=True)
class SupplementFacts:
    number: int
    requested_note: str | None
    requested_at: datetime
    submitted_at: datetime


@dataclass(frozen=True)
class WithdrawalFacts:
    """The applicant's request to withdraw the dossier (trạng thái 7)."""

    requested_at: datetime
    reason: str | None


@dataclass(frozen=True)
class RatingFacts:
    """The applicant's rating of the service (đánh giá mức độ hài lòng), as given then: the n-th
    rating of the dossier (rating again sends again), 1 (very dissatisfied) to 5."""

    number: int
    score: int
    channel: str  # kiosk or online
    rated_at: datetime


@dataclass(frozen=True)
class PaymentFacts:
    """A paid payment of the dossier (thanh toán phí, lệ phí) and its sealed receipt (biên lai):
    the charge it paid (the n-th the dossier was asked, `<code>-TT<n>`), its items, how and when."""

    charge: int
    origin: str  # "submission" (the fees known then) or "request" (asked with a status 6 event)
    items: tuple[Fee, ...]
    amount: int  # VND
    provider: str
    transaction: str | None  # the provider's transaction number
    reference: str  # ours, given to the provider
    receipt_number: str
    receipt_sha256: str
    receipt_size: int
    paid_at: datetime
    event_id: str | None = None  # the status 6 event that asked for it

    @property
    def receipt_path(self) -> str:
        return f"bien-lai/{self.receipt_number}.pdf"


@dataclass(frozen=True)
class PackageInputs:
    dossier_code: str
    procedure: ProcedureFacts
    applicant: Applicant
    answers: Mapping[str, Any]
    received_at: datetime | None
    due_on: date | None
    files: tuple[PackageFile, ...]
    declaration: DeclarationFacts | None
    sealed_at: datetime  # the seal's signing time: the package's own moment, for the same bytes
    supplement: SupplementFacts | None = None
    submitted_at: datetime | None = None  # when the applicant sent it; received_at may be later
    withdrawal: WithdrawalFacts | None = None
    documents: tuple[RequiredDocument, ...] = ()  # of a submission: which were asked for
    rating: RatingFacts | None = None
    payments: tuple[PaymentFacts, ...] = ()  # the dossier's paid payments, each with its receipt
    payment: PaymentFacts | None = None  # of a payment package: the one it tells of

    @property
    def kind(self) -> str:
        if self.payment is not None:
            return "payment"
        if self.rating is not None:
            return "rating"
        if self.withdrawal is not None:
            return "withdrawal"
        return "submission" if self.supplement is None else "supplement"

    @property
    def key(self) -> str:
        """The idempotency key: the dossier code, `<dossier code>-BS<n>` for a supplement,
        `<dossier code>-RUT` for a withdrawal, `<dossier code>-DG<n>` for its n-th rating,
        `<dossier code>-TT<n>` for the payment of its n-th charge."""
        if self.payment is not None:
            return f"{self.dossier_code}-TT{self.payment.charge}"
        if self.rating is not None:
            return f"{self.dossier_code}-DG{self.rating.number}"
        if self.withdrawal is not None:
            return f"{self.dossier_code}-RUT"
        if self.supplement is None:
            return self.dossier_code
        return f"{self.dossier_code}-BS{self.supplement.number}"
