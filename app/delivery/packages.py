"""A dossier's package, read from the database: the plain inputs app/packaging takes, from the
dossier, its pinned procedure, its signature and (for a supplement) the supplement, or (for a
withdrawal) the applicant's request in the dossier's history, or (for a rating) the rating its
outbox message carries, or (for a payment) what was paid. Every package lists the dossier's
paid payments with their receipts. Reads only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select

from app.catalog.cases import chosen_case, processing_time
from app.catalog.schema import Procedure
from app.dossiers.fees import FeeDue, fees_due
from app.dossiers.models import Dossier
from app.dossiers.needs import co_applicants_of, submitter_of
from app.dossiers.records import procedure_of
from app.dossiers.status import Status
from app.extensions import db
from app.forms.answers import shown_answers
from app.forms.components import slots
from app.outbox.models import OutboxMessage
from app.packaging import package
from app.packaging.inputs import (
    Applicant,
    CaseFacts,
    DeclarationFacts,
    Fee,
    PackageFile,
    PackageInputs,
    PaymentFacts,
    Person,
    ProcedureFacts,
    RatingFacts,
    RequiredDocument,
    SupplementFacts,
    WithdrawalFacts,
)
from app.payments.models import PAID, Charge, Payment
from app.signing import get_signing
from app.signing.providers import SealProvider
from app.signing.services import current_signature
from app.storage import get_blobs
from app.supplements.models import Supplement


def _declaration(dossier: Dossier) -> DeclarationFacts | None:
    signature = current_signature(dossier)
    if signature is None:
        return None
    return DeclarationFacts(
        path="don-de-nghi-da-ky.pdf",
        sha256=signature.signed_sha256,
        unsigned_sha256=signature.declaration_sha256,
        signer_name=signature.signer_name,
        certificate_serial=signature.certificate_serial,
        certificate_issuer=signature.certificate_issuer,
        signing_time=signature.signing_time,
        level=signature.level,
        signer_match=(signature.report or {}).get("signer_match"),
    )


def _supplement_declaration(supplement: Supplement) -> DeclarationFacts:
    return DeclarationFacts(
        path="don-bo-sung-da-ky.pdf",
        sha256=supplement.signed_sha256 or "",
        unsigned_sha256=supplement.declaration_sha256 or "",
        signer_name=supplement.signer_name,
        certificate_serial=supplement.certificate_serial,
        signing_time=supplement.signing_time,
        level=supplement.level,
        signer_match=(supplement.report or {}).get("signer_match"),
        names_issuer=False,
    )


def _fee(due: FeeDue) -> Fee:
    entry = due.as_manifest()
    return Fee(
        name=entry["name"],
        amount=entry["amount"],
        code=entry["code"],
        kind=entry["kind"],
        basis=entry["basis"],
        quantity=entry["quantity"],
        unit=entry["unit"],
        note=entry["note"],
    )


def _case(definition: Procedure, answers: dict[str, Any]) -> CaseFacts | None:
    case = chosen_case(definition, answers)
    if case is None:
        return None
    days, unit = processing_time(definition, answers)
    return CaseFacts(code=case.code, name=case.name.vi, processing_days=days, processing_unit=unit)


def _withdrawal(dossier: Dossier) -> WithdrawalFacts:
    asked = [e for e in dossier.events if e.to_status == Status.WITHDRAWN]
    if not asked:  # queued with the withdrawal itself, never before
        raise ValueError(f"dossier {dossier.code} was not withdrawn")
    return WithdrawalFacts(requested_at=asked[-1].at, reason=asked[-1].note)


def _rating(payload: dict[str, Any]) -> RatingFacts:
    """A rating as its outbox message carries it (app/outbox/queue.py enqueue_rating)."""
    return RatingFacts(
        number=int(payload["number"]),
        score=int(payload["score"]),
        channel=str(payload["channel"]),
        rated_at=datetime.fromisoformat(payload["rated_at"]),
    )


def _paid(charge: Charge, payment: Payment) -> PaymentFacts:
    if payment.receipt_number is None or payment.receipt_sha256 is None:  # issued when it is paid
        raise ValueError(f"payment {payment.reference} is paid without its receipt")
    size = len(get_blobs().read(payment.receipt_sha256))  # a receipt is a page or two
    return PaymentFacts(
        charge=charge.number,
        origin=charge.origin,
        event_id=charge.event_id,
        items=tuple(
            Fee(name=i["name"], amount=i["amount"], code=i.get("code") or None, kind=i["kind"])
            for i in charge.items
        ),
        amount=payment.amount,
        provider=payment.provider,
        transaction=payment.provider_reference,
        reference=payment.reference,
        receipt_number=payment.receipt_number,
        receipt_sha256=payment.receipt_sha256,
        receipt_size=size,
        paid_at=payment.settled_at or payment.started_at,
    )


def payments_of(dossier: Dossier, upto: int | None = None) -> tuple[PaymentFacts, ...]:
    """The dossier's charges paid, each by the payment that paid it (a payment flagged for refund
    is not the dossier's), in the order they were asked. With `upto` (an outbox message's id),
    only those the back office knows of by then: fees paid before sending (they travel with the
    submission) and payments told by an earlier message, so that one message always gives the
    same package, whatever is paid after it was queued."""
    rows = db.session.execute(
        select(Charge, Payment)
        .join(Payment, Payment.id == Charge.paid_by)
        .where(Charge.dossier_id == dossier.id, Charge.state == PAID, Payment.refund_due.is_(False))
        .order_by(Charge.number)
    ).all()
    told: set[str] | None = None
    if upto is not None:
        told = set(
            db.session.scalars(
                select(OutboxMessage.idempotency_key).where(
                    OutboxMessage.dossier_id == dossier.id,
                    OutboxMessage.kind == "payment",
                    OutboxMessage.id <= upto,
                )
            )
        )
    return tuple(
        _paid(charge, payment)
        for charge, payment in rows
        if told is None or charge.before_sending or f"{dossier.code}-TT{charge.number}" in told
    )


def inputs_of(
    dossier: Dossier,
    supplement: Supplement | None = None,
    *,
    withdrawal: bool = False,
    rating: dict[str, Any] | None = None,
    payment: int | None = None,
    upto: int | None = None,
) -> PackageInputs:
    loaded = procedure_of(dossier)
    d = loaded.definition
    procedure = ProcedureFacts(
        code=d.code,
        name=d.name.vi,
        version=loaded.version,
        agency_code=d.agency.code,
        agency_name=d.agency.name.vi,
        field_code=d.field.code,
        field_name=d.field.name.vi,
        fees=tuple(_fee(due) for due in fees_due(d, dossier.answers)),
        component_names={c.code: c.name.vi for c in d.components},
        case=_case(d, dossier.answers),
    )
    given = dossier.attachments if supplement is None else supplement.files
    withdrawn = _withdrawal(dossier) if withdrawal else None
    rated = _rating(rating) if rating is not None else None
    paid = payments_of(dossier, upto)
    told = next((p for p in paid if p.charge == payment), None) if payment is not None else None
    if payment is not None and told is None:  # queued when it is paid, never before
        raise ValueError(f"charge {payment} of {dossier.code} is not paid")
    if withdrawn is not None or rated is not None or told is not None:
        given = []
    with force_locale("vi"):  # entry labels, as the agency reads them
        wanted = slots(d, dossier.answers)
    labels = {(s.code, s.entry): s.entry_label for s in wanted}
    files = tuple(
        PackageFile(
            component_code=a.component_code,
            filename=a.filename,
            media_type=a.media_type,
            size=a.size,
            sha256=a.sha256,
            signatures=tuple(getattr(a, "signatures", None) or ()),
            entry=getattr(a, "entry", None),
            entry_label=labels.get((a.component_code, getattr(a, "entry", None))),
        )
        for a in given
    )
    documents = tuple(
        RequiredDocument(s.code, s.component.name.vi, s.required, s.entry, s.entry_label) for s in wanted
    )
    if told is not None:
        declaration, sealed_at, facts = None, told.paid_at, None
    elif rated is not None:
        declaration, sealed_at, facts = None, rated.rated_at, None
    elif withdrawn is not None:
        declaration, sealed_at, facts = None, withdrawn.requested_at, None
    elif supplement is None:
        declaration = _declaration(dossier)
        sealed_at = dossier.received_at or dossier.created_at
        facts = None
    else:
        if supplement.submitted_at is None:  # queued when it is submitted, never before
            raise ValueError(f"supplement BS{supplement.number} of {dossier.code} is not submitted")
        declaration = _supplement_declaration(supplement)
        sealed_at = supplement.submitted_at
        facts = SupplementFacts(
            number=supplement.number,
            requested_note=supplement.requested_note,
            requested_at=supplement.requested_at,
            submitted_at=supplement.submitted_at,
        )
    return PackageInputs(
        dossier_code=dossier.code or "",
        procedure=procedure,
        applicant=Applicant(
            name=dossier.applicant_name,
            identifier=dossier.applicant_identifier,
            email=dossier.applicant_email,
            phone=dossier.applicant_phone,
            kind=dossier.applicant_kind,
            submitter=Person(**submitter) if (submitter := submitter_of(d, dossier.answers)) else None,
            co_applicants=tuple(Person(**p) for p in co_applicants_of(d, dossier.answers)),
        ),
        answers=shown_answers(d, dossier.answers),
        received_at=dossier.received_at,
        due_on=dossier.due_on,
        files=files,
        declaration=declaration,
        sealed_at=sealed_at,
        supplement=facts,
        submitted_at=next((e.at for e in dossier.events if e.to_status == Status.NEW), None),
        withdrawal=withdrawn,
        documents=documents
        if supplement is None and withdrawn is None and rated is None and told is None
        else (),
        rating=rated,
        payments=paid,
        payment=told,
    )


def build(
    dossier: Dossier,
    supplement: Supplement | None = None,
    *,
    withdrawal: bool = False,
    rating: dict[str, Any] | None = None,
    payment: int | None = None,
    upto: int | None = None,
) -> package.DossierPackage:
    """The package of a submitted, signed dossier, of one of its supplements, of the
    applicant's request to withdraw it, of a rating (its outbox message's payload), or of the
    payment of its charge number `payment`; sealed with the portal's seal when one is
    configured. `upto`: the outbox message it is built for (payments_of)."""
    seal = get_signing().provider("seal")
    signer = seal.signer() if isinstance(seal, SealProvider) and seal.configured else None
    return package.build(
        inputs_of(dossier, supplement, withdrawal=withdrawal, rating=rating, payment=payment, upto=upto),
        open_blob=get_blobs().open,
        seal=signer,
    )
