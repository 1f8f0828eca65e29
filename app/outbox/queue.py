"""Queueing for the back office, and what the pages show of a delivery. Runs in the caller's
transaction, never commits: a message is queued with the state change that caused it, or not
at all. The worker that delivers is app/delivery/."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ScalarSelect

from app import clock
from app.backoffice import get_backoffices
from app.dossiers.models import Dossier
from app.extensions import db
from app.outbox.models import NOTIFICATION, OutboxMessage


def _pending(
    dossier: Dossier,
    *,
    kind: str,
    key: str,
    adapter: str,
    supplement_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        dossier_id=dossier.id,
        supplement_id=supplement_id,
        kind=kind,
        idempotency_key=key,
        payload=payload,
        adapter=adapter,
        state="pending",
        attempts=0,
        next_attempt_at=clock.now(),
    )
    db.session.add(message)
    return message


def enqueue_submission(dossier: Dossier) -> OutboxMessage:
    """The submitted dossier, for the back office its procedure is routed to; keyed by its code."""
    if dossier.code is None:
        raise ValueError(f"dossier {dossier.public_id} is queued without its code")
    adapter = get_backoffices().route(dossier.procedure_code)
    return _pending(dossier, kind="submission", key=dossier.code, adapter=adapter)


def enqueue_supplement(dossier: Dossier, *, supplement_id: int, number: int) -> OutboxMessage:
    """A signed supplement, for the back office that has the dossier; keyed `<code>-BS<n>`."""
    adapter = sent_to(dossier)
    if adapter is None:  # a supplement is asked for by the back office the dossier went to
        raise ValueError(f"dossier {dossier.code} was never queued for a back office")
    return _pending(
        dossier,
        kind="supplement",
        key=f"{dossier.code}-BS{number}",
        adapter=adapter,
        supplement_id=supplement_id,
    )


def enqueue_withdrawal(dossier: Dossier) -> OutboxMessage:
    """The applicant's request to withdraw (trạng thái 7), for the back office that has the
    dossier; keyed `<code>-RUT`. Delivered after the dossier's earlier messages."""
    adapter = sent_to(dossier)
    if adapter is None or dossier.code is None:
        raise ValueError(f"dossier {dossier.public_id} was never queued for a back office")
    return _pending(dossier, kind="withdrawal", key=f"{dossier.code}-RUT", adapter=adapter)


def enqueue_notification(dossier: Dossier, *, key: str, channel: str) -> OutboxMessage | None:
    """A message to the applicant on `channel` (app.notifications keeps its content), keyed
    `<dossier id>-<event id>-<channel>`; None when that key is queued already (one message per
    cause and channel, whoever asks twice)."""
    exists = select(OutboxMessage.id).where(
        OutboxMessage.kind == NOTIFICATION, OutboxMessage.idempotency_key == key
    )
    if db.session.scalar(exists) is not None:
        return None
    message = _pending(dossier, kind=NOTIFICATION, key=key, adapter=channel)
    db.session.flush()  # its id, for the notification's content
    return message


def enqueue_rating(dossier: Dossier, rating: dict[str, Any]) -> OutboxMessage | None:
    """The applicant's rating of the service (đánh giá mức độ hài lòng: its score, channel and
    time, as given now), for the back office that has the dossier; keyed `<code>-DG<n>`, n
    counting the dossier's ratings from 1: rating again sends again, and each message keeps
    what was rated when it was queued. Delivered after the dossier's earlier messages. None for
    a dossier no back office has (nothing to tell). The caller commits; two ratings of one dossier
    at once collide on the key (the unique constraint), and the caller tries again."""
    adapter = sent_to(dossier)
    if adapter is None or dossier.code is None:
        return None
    sent = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.dossier_id == dossier.id, OutboxMessage.kind == "rating")
    )
    number = (sent or 0) + 1
    return _pending(
        dossier,
        kind="rating",
        key=f"{dossier.code}-DG{number}",
        adapter=adapter,
        payload={**rating, "number": number},
    )


def enqueue_payment(dossier: Dossier, *, number: int, payment: dict[str, Any]) -> OutboxMessage | None:
    """The back office is told that the dossier's charge `number` (the n-th it asked, or the fees
    due at submission) is paid; keyed `<code>-TT<n>`; `payment` is what was paid, as it was then
    (charge number, items, amount, provider, its transaction number, our reference, receipt
    number, paid at). Delivered after the dossier's earlier messages, with the receipt. None for
    a dossier no back office has, or when that charge's payment is queued already (a charge is
    paid once)."""
    adapter = sent_to(dossier)
    if adapter is None or dossier.code is None:
        return None
    key = f"{dossier.code}-TT{number}"
    exists = select(OutboxMessage.id).where(
        OutboxMessage.kind == "payment", OutboxMessage.idempotency_key == key
    )
    if db.session.scalar(exists) is not None:
        return None
    return _pending(dossier, kind="payment", key=key, adapter=adapter, payload={**payment, "number": number})


def sent_to(dossier: Dossier) -> str | None:
    """The back office the dossier was submitted to."""
    return db.session.scalar(
        select(OutboxMessage.adapter)
        .where(OutboxMessage.dossier_id == dossier.id, OutboxMessage.kind == "submission")
        .limit(1)
    )


def delivery_of(dossier: Dossier) -> OutboxMessage | None:
    """The dossier's latest message to the back office (its submission, its latest supplement,
    its withdrawal, a rating or a payment); notifications to the applicant are not the dossier's delivery."""
    return db.session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.dossier_id == dossier.id, OutboxMessage.kind != NOTIFICATION)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )


def backoffice_reference(dossier: Dossier) -> str | None:
    """The back office's own reference for the dossier (its receipt number), once delivered."""
    return db.session.scalar(
        select(OutboxMessage.reference).where(
            OutboxMessage.dossier_id == dossier.id, OutboxMessage.kind == "submission"
        )
    )


def failed() -> list[OutboxMessage]:
    """The messages given up on, oldest first: what an operator sends again."""
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.state == "failed").order_by(OutboxMessage.id)
        )
    )


def dossier_reference_column() -> ScalarSelect[str | None]:
    """For a listing of messages: the back office's reference of each one's dossier (a
    supplement's row shows which dossier to look for there)."""
    submission = aliased(OutboxMessage)
    return (
        select(submission.reference)
        .where(submission.dossier_id == OutboxMessage.dossier_id, submission.kind == "submission")
        .limit(1)
        .scalar_subquery()
    )
