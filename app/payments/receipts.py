"""The receipt (biên lai) of every paid payment: rendered, sealed by the portal, kept in the
blob store. Runs in the caller's transaction (the settlement), never commits: the payment is
paid with its receipt, or not at all."""

from __future__ import annotations

from app.documents import payment_receipt
from app.dossiers import records as dossiers
from app.payments.models import Payment
from app.payments.providers import get_providers
from app.signing import get_signing, pades
from app.signing.providers import SealProvider
from app.storage import get_blobs


def number_of(payment: Payment) -> str:
    """Biên lai số: unique across the portal, from the payment's row."""
    return f"BL-{payment.id:08d}"


def issue(payment: Payment) -> str:
    """Render and seal the receipt of a paid payment, store it, and note its number and sha256
    on the payment. Raises whatever sealing raises."""
    dossier, charge = payment.dossier, payment.charge
    definition = dossiers.procedure_of(dossier).definition
    provider = get_providers().get(payment.provider)
    number = number_of(payment)
    document = payment_receipt.PaymentReceipt(
        number=number,
        agency=definition.agency.name.vi,
        dossier_code=dossier.code or "",
        procedure=definition.name.vi,
        payer=dossier.applicant_name or "",
        items=tuple(payment_receipt.ReceiptItem(**item) for item in charge.items),
        amount=payment.amount,
        provider=provider.title.vi if provider else payment.provider,
        transaction=payment.provider_reference or "",
        reference=payment.reference,
        paid_at=payment.settled_at or payment.started_at,
    )
    pdf, box = payment_receipt.render(document)
    signing = get_signing()
    seal = signing.provider("seal")
    if isinstance(seal, SealProvider) and seal.configured:
        pdf = pades.sign(
            pdf,
            seal.signer(),
            field_name=payment_receipt.SEAL_FIELD,
            box=box,
            level=signing.level,
            reason="Xác nhận đã thu phí, lệ phí",
            timestamper=signing.timestamper,
            validation_context=signing.context(),
        )
    payment.receipt_number = number
    payment.receipt_sha256 = get_blobs().put(pdf)
    return payment.receipt_sha256
