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
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, func, select, true, update
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
    CHECK_ERROR,
    CHECK_MISMATCH,
    CHECK_NOT_OFFERED,
    CHECK_PENDING,
    CHECK_UNAVAILABLE,
    CHECK_UNKNOWN,
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


def cancel_due(dossier: Dossier) -> int:
    """The dossier's charges still due are cancelled (in the caller's transaction): it went back
    to a draft, or was withdrawn, refused or stopped. A payment still on its way is refunded if
    it is ever paid. When the dossier is closed (withdrawn, refused, stopped), every payment
    already paid for it is flagged for refund too, for the staff to make and record
    (docs/payments.md, "Refunds"). How many were flagged."""
    for charge in due_charges(dossier):
        charge.state = CANCELLED
    if Status(dossier.status) not in CLOSED:
        return 0
    flagged = 0
    for payment in db.session.scalars(
        select(Payment).where(
            Payment.dossier_id == dossier.id,
            Payment.state == PAID,
            Payment.refund_due.is_(False),
            Payment.refunded_at.is_(None),
        )
    ):
        payment.refund_due, payment.refund_reason = True, f"dossier {dossier.status}"
        flagged += 1
    return flagged


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


# A payment's reference as `begin` makes it (secrets.token_hex(10), upper case). Whatever comes
# from outside in another shape names no payment and is never put to the database.
REFERENCE = re.compile(r"[0-9A-F]{20}")
# What a provider reports is stored as far as the columns hold, without NUL (PostgreSQL refuses
# it in text): an odd transaction number must not keep a paid payment from settling.
MAX_CODE, MAX_PROVIDER_REFERENCE, MAX_MESSAGE = 32, 64, 2000


def is_reference(value: object) -> bool:
    """Whether `value` has the shape of one of our payment references (see REFERENCE)."""
    return isinstance(value, str) and REFERENCE.fullmatch(value) is not None


def _storable(value: str | None, limit: int) -> str | None:
    """A provider's text as a column holds it: no NUL, at most `limit` characters; None if empty."""
    if value is None:
        return None
    return value.replace("\x00", "")[:limit] or None


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


def not_started(payment: Payment, reason: str) -> None:
    """The provider could not start this payment (down, refused the order): it is failed at once,
    so that it does not wait as if on its way (one transaction). Should the provider report it
    paid after all, `settle` still pays it: money taken is never lost."""
    payment.state, payment.settled_at = FAILED, clock.now()
    payment.message = f"not started: {reason}"[:2000]
    db.session.commit()


class NotSettled(Exception):
    """Nothing was settled this time (the receipt could not be sealed, or the payment kept
    changing under concurrent reports): the provider's next notification, or reconciliation,
    settles it."""


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
    raise NotSettled(f"payment {report.reference} could not be settled: it kept changing")


def _settle(report: Report, *, provider: str, via: str) -> Settlement:
    if not is_reference(report.reference):
        return Settlement("unknown")  # not one of ours: never looked up
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
            "payment %s: the provider reports %s for %r, asked %s for %s: refused",
            payment.reference,
            report.amount,
            report.dossier_code,
            payment.amount,
            dossier.code,
        )
        payment.message = _storable(
            f"refused: the provider reports {report.amount} VND for {report.dossier_code or '?'}, "
            f"asked {payment.amount} VND for {dossier.code}",
            MAX_MESSAGE,
        )
        db.session.commit()
        return Settlement("mismatch", payment)
    if report.state == "paid" and report.amount is None:
        return Settlement("mismatch", payment)  # paid, but how much is not said: never trusted
    if payment.state == PAID:
        return Settlement("already", payment)
    now = clock.now()
    payment.response_code = _storable(report.code, MAX_CODE)
    payment.message = _storable(report.message, MAX_MESSAGE)
    payment.provider_reference = (
        _storable(report.provider_reference, MAX_PROVIDER_REFERENCE) or payment.provider_reference
    )
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
    try:
        receipts.issue(payment)
    except Exception as exc:  # a seal key or a timestamp authority that fails: nothing is paid yet
        db.session.rollback()
        logger.exception("payment %s: its receipt could not be sealed, nothing settled", report.reference)
        raise NotSettled(f"payment {report.reference}: its receipt could not be sealed") from exc
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


def close_closed() -> int:
    """`cancel_due` of every withdrawn, refused or stopped dossier that still has a charge due or a paid
    payment not flagged (one transaction): reconciliation's safety net, whatever path closed it."""
    for _attempt in range(3):
        try:
            open_money = (
                select(Charge.dossier_id)
                .where(Charge.state == DUE)
                .union(
                    select(Payment.dossier_id).where(
                        Payment.state == PAID, Payment.refund_due.is_(False), Payment.refunded_at.is_(None)
                    )
                )
            )
            dossiers = db.session.scalars(
                select(Dossier).where(Dossier.status.in_(CLOSED), Dossier.id.in_(open_money))
            ).all()
            flagged = sum(cancel_due(dossier) for dossier in dossiers)
            db.session.commit()
            return flagged
        except StaleDataError:
            db.session.rollback()  # a settlement meanwhile: read again
    return 0  # kept changing: the next round tries again


# Reconciliation's backoff: a payment asked without an answer that settles it waits before it is
# asked again, twice as long each time, from max(PAYMENT_RECONCILE_AFTER_SECONDS, a minute) up to
# an hour; a payment whose provider is no longer offered waits the hour.
RECHECK_MIN = timedelta(minutes=1)
RECHECK_MAX = timedelta(hours=1)
# A payment being asked about: other workers leave it alone this long (a query's timeout).
CHECK_LEASE = timedelta(minutes=2)


def _recheck_after(checks: int) -> timedelta:
    settings = current_app.config["OPENDVC"]
    base = max(timedelta(seconds=settings.PAYMENT_RECONCILE_AFTER_SECONDS), RECHECK_MIN)
    return min(base * 2 ** min(max(checks - 1, 0), 16), RECHECK_MAX)


def reconcile(*, older_than: timedelta | None = None, limit: int = 200) -> dict[str, int]:
    """One reconciliation round: ask the provider about every payment still started for longer
    than `older_than` (PAYMENT_RECONCILE_AFTER_SECONDS) and not backed off, and settle it; one
    transaction per payment. First, closed dossiers' money is flagged for refund (`close_closed`).
    Counts what it came to: settled, already, pending, unknown, expired, unavailable, mismatch,
    not_offered, error (a provider's or our bug, logged), refund_due (newly flagged)."""
    settings = current_app.config["OPENDVC"]
    now = clock.now()
    wait = (
        older_than if older_than is not None else timedelta(seconds=settings.PAYMENT_RECONCILE_AFTER_SECONDS)
    )
    counts: dict[str, int] = {}
    flagged = close_closed()
    if flagged:
        counts["refund_due"] = flagged
    due = list(
        db.session.scalars(
            select(Payment.id)
            .where(
                Payment.state == STARTED,
                Payment.started_at <= now - wait,
                (Payment.next_check_at.is_(None)) | (Payment.next_check_at <= now),
            )
            .order_by(Payment.next_check_at.asc().nulls_first(), Payment.id)
            .limit(limit)
        )
    )
    db.session.rollback()  # no transaction held while providers are asked
    for payment_id in due:
        outcome = check(payment_id)
        if outcome != "skipped":
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def check(payment_id: int, *, force: bool = False) -> str:
    """Ask the provider about one started payment and settle what it says (reconciliation, and
    the staff's "ask the provider now" with `force`, which ignores the backoff). "skipped" when
    it is settled already or another worker is asking; otherwise what it came to (see
    `reconcile`). Never raises for a provider's failure: that is counted "error" and logged."""
    now = clock.now()
    if not _claim(payment_id, now, force=force):
        return "skipped"
    payment = db.session.get_one(Payment, payment_id)
    reference, name, amount = payment.reference, payment.provider, payment.amount
    started_at = payment.started_at
    db.session.rollback()  # the query is made outside any transaction
    provider = get_providers().get(name)
    if provider is None:
        logger.warning("payment %s: its provider %s is no longer offered: left for staff", reference, name)
        _record(payment_id, CHECK_NOT_OFFERED, now, wait=RECHECK_MAX)
        return "not_offered"
    try:
        report = provider.query(reference=reference, amount=amount, started_at=started_at)
        if report.reference != reference:
            _record(
                payment_id,
                CHECK_MISMATCH,
                now,
                message=f"refused: asked about {reference}, the provider answered of {report.reference}"[
                    :500
                ],
            )
            return "mismatch"
        settled = settle(report, provider=name, via="query")
    except Unavailable as exc:
        logger.warning("payment %s: %s could not be asked: %s", reference, name, exc)
        _record(payment_id, CHECK_UNAVAILABLE, now)
        return "unavailable"
    except Exception:  # a provider's bug, or ours: this payment waits, the round goes on
        db.session.rollback()
        logger.exception("payment %s: asking %s failed", reference, name)
        _record(payment_id, CHECK_ERROR, now)
        return "error"
    if settled.outcome in ("settled", "already"):
        _release(payment_id)
        return settled.outcome
    if settled.outcome == "mismatch":
        unsaid = "refused: the provider reports it paid without saying how much"
        _record(payment_id, CHECK_MISMATCH, now, message=unsaid if report.amount is None else None)
        return "mismatch"
    expire = timedelta(minutes=current_app.config["OPENDVC"].PAYMENT_EXPIRE_MINUTES)
    if report.state == "unknown" and now - started_at > expire:
        return "expired" if _record(payment_id, CHECK_UNKNOWN, now, expire=True) else "skipped"
    _record(payment_id, CHECK_UNKNOWN if report.state == "unknown" else CHECK_PENDING, now)
    return "unknown" if report.state == "unknown" else "pending"


def _claim(payment_id: int, now: datetime, *, force: bool) -> bool:
    """Lease a started payment for one check (one transaction): two workers never ask about the
    same payment at once. The version moves, so a settlement that read it before retries."""
    free = (Payment.next_check_at.is_(None)) | (Payment.next_check_at <= now)
    claimed = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(Payment)
            .where(Payment.id == payment_id, Payment.state == STARTED, true() if force else free)
            .values(next_check_at=now + CHECK_LEASE, version_id=Payment.version_id + 1)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.commit()
    return bool(claimed)


def _release(payment_id: int) -> None:
    """A settled payment is asked no more (one transaction)."""
    db.session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.state != STARTED)
        .values(next_check_at=None, version_id=Payment.version_id + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _record(
    payment_id: int,
    result: str,
    now: datetime,
    *,
    wait: timedelta | None = None,
    message: str | None = None,
    expire: bool = False,
) -> bool:
    """Note a check that settled nothing on a payment still started (one transaction), and when
    to ask again; with `expire`, it expires. False when it was settled meanwhile."""
    for _attempt in range(3):
        try:
            payment = db.session.get_one(Payment, payment_id)
            if payment.state != STARTED:
                db.session.rollback()
                return False
            payment.checked_at, payment.checks, payment.last_check = now, payment.checks + 1, result
            payment.next_check_at = now + (wait or _recheck_after(payment.checks))
            if message is not None:
                payment.message = message
            if expire:
                payment.state, payment.settled_at, payment.settled_via = EXPIRED, now, "query"
                payment.next_check_at = None
            db.session.commit()
            return True
        except StaleDataError:
            db.session.rollback()  # a notification settled it meanwhile: read it again
    return False


class NotRefundable(Exception):
    """Only a paid payment flagged refund_due, and not refunded yet, can be marked refunded."""


def refunds_due() -> list[Payment]:
    """Paid payments flagged for refund and not refunded yet, oldest first (the staff's list)."""
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.state == PAID, Payment.refund_due.is_(True), Payment.refunded_at.is_(None))
            .order_by(Payment.settled_at, Payment.id)
        )
    )


def record_refund(payment_id: int, *, by: str, note: str | None = None) -> Payment:
    """A staff member records that the money of a refund_due payment was given back (one
    transaction). The payment stays paid, its receipt stands: the refund is a fact added to it.
    Raises LookupError for an unknown payment, NotRefundable for one not awaiting a refund
    (twice: the second is refused, the first stands)."""
    for _attempt in range(3):
        payment = db.session.get(Payment, payment_id)
        if payment is None:
            raise LookupError(payment_id)
        if payment.state != PAID or not payment.refund_due or payment.refunded_at is not None:
            db.session.rollback()
            raise NotRefundable(payment.reference)
        payment.refunded_at, payment.refunded_by = clock.now(), by[:64]
        payment.refund_note = (note or "").strip()[:200] or None
        try:
            db.session.commit()
            return payment
        except StaleDataError:
            db.session.rollback()  # recorded (or settled) meanwhile: read it again
    raise NotRefundable(payment_id)


__all__ = [
    "AT_SUBMISSION",
    "CLOSED",
    "REQUESTED",
    "NotRefundable",
    "NotSettled",
    "Settlement",
    "begin",
    "cancel_due",
    "charges_of",
    "check",
    "close_closed",
    "due_charges",
    "not_started",
    "on_paid",
    "open_charge",
    "order_of",
    "paid_facts",
    "reconcile",
    "record_refund",
    "refunds_due",
    "settle",
]
