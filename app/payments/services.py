"""Charges and payments: opened, started, settled, reconciled. Each public function that
changes state is one transaction (commits), except those named "in the caller's transaction".

Settling is the one place a payment becomes paid (`settle`): from a provider's notification or
its answer to a query, never from the browser's return. It checks the reference, the amount and
the dossier code against what was asked, and is idempotent: the same notification twice, a
notification and a query at once, two attempts of one charge paid together — the charge is paid
once, its receipt issued once, the back office told once; a second payment is flagged for refund.

When a charge is paid, in the settling transaction: its receipt is issued, sealed and put into
the store of the dossier's account (app.payments.receipts); the back office is told through the
outbox (kind "payment", `<code>-TT<n>`) unless the charge was due before sending (the dossier
itself then goes out, from an on_paid hook, with the payment listed); the applicant is notified.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.extensions import db
from app.notifications import PaymentReceived, notify_paid
from app.outbox.queue import enqueue_payment
from app.payments import receipts
from app.payments.models import (
    AT_SUBMISSION,
    CANCELLED,
    DUE,
    EXPIRED,
    FAILED,
    PAID,
    REQUESTED,
    STARTED,
    Charge,
    Payment,
)
from app.payments.providers import Item, Order, Outcome, Report, Unavailable, get_providers

logger = logging.getLogger(__name__)

# Called in the settling transaction when a charge is paid, with (charge, payment): app.journey
# sends a dossier whose fees were due before sending; app.outbox is told of the others here.
PAID_HOOKS = "opendvc.payments.paid"

# A dossier in one of these states takes no more money: a payment settled then is refunded.
CLOSED = frozenset({Status.WITHDRAWN, Status.REFUSED, Status.STOPPED})


def on_paid(app: Any, hook: Callable[[Charge, Payment], None]) -> None:
    app.extensions.setdefault(PAID_HOOKS, []).append(hook)


def _next_number(dossier: Dossier) -> int:
    last = db.session.scalar(select(func.max(Charge.number)).where(Charge.dossier_id == dossier.id))
    return (last or 0) + 1


def open_charge(
    dossier: Dossier,
    items: list[Item],
    *,
    origin: str,
    before_sending: bool = False,
    event_id: str | None = None,
) -> Charge | None:
    """A charge for these items (in the caller's transaction); None when they come to nothing."""
    amount = sum(item.amount for item in items)
    if amount <= 0:
        return None
    charge = Charge(
        dossier_id=dossier.id,
        number=_next_number(dossier),
        origin=origin,
        event_id=event_id,
        before_sending=before_sending,
        items=[{"code": i.code, "kind": i.kind, "name": i.name, "amount": i.amount} for i in items],
        amount=amount,
        state=DUE,
    )
    db.session.add(charge)
    db.session.flush()
    return charge


def charges_of(dossier: Dossier) -> list[Charge]:
    return list(
        db.session.scalars(select(Charge).where(Charge.dossier_id == dossier.id).order_by(Charge.number))
    )


def due_charges(dossier: Dossier) -> list[Charge]:
    return [c for c in charges_of(dossier) if c.state == DUE]


def cancel_due(dossier: Dossier) -> None:
    """The dossier's charges still due are cancelled (in the caller's transaction): it went back
    to a draft, or was withdrawn. A payment still on its way is refunded if it is ever paid."""
    for charge in due_charges(dossier):
        charge.state = CANCELLED


def order_of(payment: Payment, *, return_url: str, notify_url: str, client_ip: str) -> Order:
    charge, dossier = payment.charge, payment.dossier
    return Order(
        reference=payment.reference,
        dossier_code=dossier.code or "",
        amount=payment.amount,
        items=tuple(Item(**item) for item in charge.items),
        description=f"Nộp phí, lệ phí hồ sơ {dossier.code}",
        applicant_name=dossier.applicant_name or "",
        locale=dossier.locale,
        return_url=return_url,
        notify_url=notify_url,
        client_ip=client_ip,
        created_at=payment.started_at,
    )


def begin(charge: Charge, provider: str) -> Payment:
    """A new attempt at paying a due charge through `provider` (one transaction). The caller
    then sends the browser where `get_providers()[provider].start(order=order_of(...))` says."""
    if charge.state != DUE:
        raise ValueError(f"charge {charge.id} is {charge.state}, not due")
    if get_providers().get(provider) is None:
        raise ValueError(f"payment provider {provider!r} is not offered")
    payment = Payment(
        reference=secrets.token_hex(10).upper(),
        charge_id=charge.id,
        dossier_id=charge.dossier_id,
        provider=provider,
        amount=charge.amount,
        state=STARTED,
        started_at=clock.now(),
    )
    db.session.add(payment)
    db.session.commit()
    return payment


@dataclass(frozen=True)
class Settlement:
    outcome: Outcome
    payment: Payment | None = None


def settle(report: Report, *, provider: str, via: str) -> Settlement:
    """Apply what the provider says of one of its transactions (one transaction). `via` is
    "notification" or "query": the two sources that may mark a payment paid."""
    for _attempt in range(3):
        try:
            return _settle(report, provider=provider, via=via)
        except (StaleDataError, IntegrityError):
            db.session.rollback()  # settled meanwhile by a copy of this report: read it again
    raise RuntimeError(f"payment {report.reference} could not be settled: it kept changing")


def _settle(report: Report, *, provider: str, via: str) -> Settlement:
    payment = db.session.scalar(
        select(Payment).where(Payment.reference == report.reference, Payment.provider == provider)
    )
    if payment is None:
        return Settlement("unknown")
    if report.state in ("pending", "unknown"):
        return Settlement("pending", payment)
    dossier = payment.dossier
    wrong_amount = report.amount is not None and report.amount != payment.amount
    wrong_dossier = report.dossier_code is not None and report.dossier_code != dossier.code
    if wrong_amount or wrong_dossier:
        logger.warning(
            "payment %s: the provider reports %s for %s, asked %s for %s: refused",
            payment.reference,
            report.amount,
            report.dossier_code,
            payment.amount,
            dossier.code,
        )
        payment.message = (
            f"refused: the provider reports {report.amount} VND for {report.dossier_code or '?'}, "
            f"asked {payment.amount} VND for {dossier.code}"
        )[:2000]
        db.session.commit()
        return Settlement("mismatch", payment)
    if report.state == "paid" and report.amount is None:
        return Settlement("mismatch", payment)  # paid, but how much is not said: never trusted
    if payment.state == PAID:
        return Settlement("already", payment)
    now = clock.now()
    payment.response_code = report.code
    payment.message = report.message
    payment.provider_reference = report.provider_reference or payment.provider_reference
    if report.state == "failed":
        if payment.state == FAILED:
            return Settlement("already", payment)
        payment.state, payment.settled_at, payment.settled_via = FAILED, now, via
        db.session.commit()
        return Settlement("settled", payment)
    # Paid, also after being counted failed or expired: the money was taken, it is never lost.
    payment.state, payment.settled_at, payment.settled_via = PAID, now, via
    charge = payment.charge
    if charge.state != DUE:
        payment.refund_due, payment.refund_reason = True, f"charge {charge.state}"
    elif Status(dossier.status) in CLOSED:
        payment.refund_due, payment.refund_reason = True, f"dossier {dossier.status}"
        charge.state, charge.paid_by, charge.paid_at = PAID, payment.id, now
    else:
        charge.state, charge.paid_by, charge.paid_at = PAID, payment.id, now
        db.session.flush()  # a concurrent settlement of this charge shows here
        for hook in current_app.extensions.get(PAID_HOOKS, []):
            hook(charge, payment)
    receipts.issue(payment)
    if charge.paid_by == payment.id and not payment.refund_due and not charge.before_sending:
        # Paid after the dossier went out: the back office is told, with the receipt. Fees paid
        # before sending travel with the submission itself (the on_paid hook sends it).
        enqueue_payment(dossier, number=charge.number, payment=paid_facts(charge, payment))
    if charge.paid_by == payment.id and not payment.refund_due:
        _tell_applicant(dossier, payment)
    db.session.commit()
    return Settlement("settled", payment)


def _tell_applicant(dossier: Dossier, payment: Payment) -> None:
    """The applicant hears that the payment was received, with its receipt's number (in this
    transaction; one notification per payment). A dossier not sent yet has no code to name:
    the notification of its submission follows instead."""
    if dossier.code is None:
        return
    provider = get_providers().get(payment.provider)
    titles = {"vi": provider.title.vi, "en": provider.title.en} if provider else {"vi": payment.provider}
    notify_paid(
        dossier,
        payment_id=payment.id,
        paid=PaymentReceived(
            amount=payment.amount, provider=titles, receipt_number=payment.receipt_number or ""
        ),
    )


def paid_facts(charge: Charge, payment: Payment) -> dict[str, Any]:
    """What a paid payment paid, as the back office is told it (the outbox message's payload
    and the package's `payments` entry): plain JSON values, times in Vietnam."""
    paid_at = payment.settled_at or clock.now()
    return {
        "charge": charge.number,
        "origin": charge.origin,
        "event_id": charge.event_id,
        "items": [dict(item) for item in charge.items],
        "amount": payment.amount,
        "provider": payment.provider,
        "transaction": payment.provider_reference,
        "reference": payment.reference,
        "receipt_number": payment.receipt_number,
        "receipt_sha256": payment.receipt_sha256,
        "paid_at": paid_at.astimezone(clock.VIETNAM).isoformat(),
    }


def reconcile(*, older_than: timedelta | None = None, limit: int = 200) -> dict[str, int]:
    """Ask the provider about every payment still started for longer than `older_than`
    (PAYMENT_RECONCILE_AFTER_SECONDS) and settle it; one transaction per payment. A payment the
    provider knows nothing of past PAYMENT_EXPIRE_MINUTES expires. Counts what it came to."""
    settings = current_app.config["OPENDVC"]
    now = clock.now()
    wait = (
        older_than if older_than is not None else timedelta(seconds=settings.PAYMENT_RECONCILE_AFTER_SECONDS)
    )
    expire = timedelta(minutes=settings.PAYMENT_EXPIRE_MINUTES)
    started = list(
        db.session.scalars(
            select(Payment)
            .where(Payment.state == STARTED, Payment.started_at <= now - wait)
            .order_by(Payment.id)
            .limit(limit)
        )
    )
    counts: dict[str, int] = {}
    for payment in started:
        outcome = _reconcile_one(payment, now, expire)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _reconcile_one(payment: Payment, now: datetime, expire: timedelta) -> str:
    reference, name = payment.reference, payment.provider
    provider = get_providers().get(name)
    if provider is None:
        return "unavailable"  # no longer offered here: left for an operator
    try:
        report = provider.query(reference=reference, amount=payment.amount, started_at=payment.started_at)
    except Unavailable as exc:
        logger.warning("payment %s: %s could not be asked: %s", reference, name, exc)
        payment.checked_at, payment.checks = now, payment.checks + 1
        db.session.commit()
        return "unavailable"
    settled = settle(report, provider=name, via="query")
    if settled.outcome == "pending":
        payment = db.session.get_one(Payment, payment.id)
        payment.checked_at, payment.checks = now, payment.checks + 1
        if report.state == "unknown" and now - payment.started_at > expire:
            payment.state, payment.settled_at, payment.settled_via = EXPIRED, now, "query"
            db.session.commit()
            return "expired"
        db.session.commit()
    return settled.outcome


__all__ = [
    "AT_SUBMISSION",
    "CLOSED",
    "REQUESTED",
    "Settlement",
    "begin",
    "cancel_due",
    "charges_of",
    "due_charges",
    "on_paid",
    "open_charge",
    "order_of",
    "paid_facts",
    "reconcile",
    "settle",
]
