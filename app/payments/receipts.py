"""The receipt (biên lai) of every paid payment: rendered, sealed by the portal, kept in the
blob store, and put into the store of the dossier's account (My documents). Runs in the
caller's transaction (the settlement), never commits: the payment is paid with its receipt, or
not at all. app/documents/payment_receipt.py says what the receipt holds."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from app.documents import payment_receipt
from app.dossiers import records as dossiers
from app.dossiers.records import applicant_of
from app.extensions import db
from app.payments.models import Payment, ReceiptSequence
from app.payments.providers import get_providers
from app.signing.receipts import seal
from app.storage import get_blobs
from app.store import services as store


def next_number(symbol: str) -> str:
    """Số biên lai: seven digits, consecutive from 1 within the symbol (Circular 78/2021).

    The symbol's counter is raised by one atomic upsert (as dossier codes are, see
    app.dossiers.records.next_code): concurrent settlements never share a number, the row
    stays locked until the settlement commits, and a settlement rolled back (a seal that
    fails, a payment changed meanwhile) takes its number back, so none is skipped. Only
    receipts actually issued take one: failed or unsettled attempts never do."""
    table = cast(Table, ReceiptSequence.__table__)
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(symbol=symbol, last=1)
        .on_conflict_do_update(index_elements=[table.c.symbol], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )
    return f"{db.session.execute(statement).scalar_one():07d}"


def file_name(payment: Payment) -> str:
    """The receipt's file name, in a package and in the store."""
    return f"bien-lai-{payment.receipt_number}.pdf"


def issue(payment: Payment) -> str:
    """Render and seal the receipt of a paid payment, store it, and note its number and sha256
    on the payment. Raises whatever sealing raises."""
    dossier, charge = payment.dossier, payment.charge
    definition = dossiers.procedure_of(dossier).definition
    provider = get_providers().get(payment.provider)
    paid_at = payment.settled_at or payment.started_at
    symbol = payment_receipt.symbol_for(paid_at)
    number = next_number(symbol)
    applicant = applicant_of(definition, dossier.answers)
    document = payment_receipt.PaymentReceipt(
        number=number,
        symbol=symbol,
        agency=definition.agency.name.vi,
        agency_code=definition.agency.code,
        dossier_code=dossier.code or "",
        procedure=definition.name.vi,
        procedure_code=definition.code,
        payer=dossier.applicant_name or applicant["name"] or "",
        payer_identifier=dossier.applicant_identifier or applicant["identifier"] or "",
        payer_address=applicant["address"] or "",
        items=tuple(payment_receipt.ReceiptItem(**item) for item in charge.items),
        amount=payment.amount,
        provider=provider.title.vi if provider else payment.provider,
        transaction=payment.provider_reference or "",
        reference=payment.reference,
        paid_at=paid_at,
    )
    pdf, box = payment_receipt.render(document)
    pdf = seal(pdf, field_name=payment_receipt.SEAL_FIELD, box=box, reason="Xác nhận đã thu phí, lệ phí")
    payment.receipt_symbol, payment.receipt_number = symbol, number
    payment.receipt_sha256 = get_blobs().put(pdf)
    store.keep_receipt(
        dossier,
        number=number,
        filename=file_name(payment),
        size=len(pdf),
        sha256=payment.receipt_sha256,
    )
    return payment.receipt_sha256
