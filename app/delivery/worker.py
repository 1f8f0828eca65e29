"""The delivery worker: the outbox's messages delivered, exactly once per back office, and the
applicants' notifications sent, exactly once per channel (app.notifications).

A worker claims one due message with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, so workers
on several machines never take the same one), delivers it outside any transaction, then records
the outcome if its lease still holds. A worker that dies mid-delivery loses its lease: the next
round counts that as a failed attempt ("worker stopped during delivery"), and a worker delivers
again later; the back office recognises the dossier code (idempotency key). A back office that
says when to come back (Retry-After) is not asked again sooner, within
DELIVERY_RETRY_AFTER_MAX_SECONDS.

Commits its own transactions, never runs in a caller's: each claim and each outcome is one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import aliased

from app import clock
from app.backoffice import get_backoffices
from app.backoffice.adapters import DeliveryFailed, DeliveryRefused
from app.delivery.packages import build
from app.dossiers.models import Dossier
from app.extensions import db
from app.notifications import send_notification
from app.outbox.models import NOTIFICATION, OutboxMessage
from app.supplements.models import Supplement


def claim(now: datetime) -> tuple[int, datetime] | None:
    """Lease the next due message (one transaction): its id and when the lease ends, or None."""
    earlier = aliased(OutboxMessage)
    # In order for each dossier: a supplement never reaches the back office before the dossier.
    # Notifications to the applicant stand apart: none waits for the back office, and a mail
    # server that is down holds up no back-office message.
    waiting = (
        select(earlier.id)
        .where(
            earlier.dossier_id == OutboxMessage.dossier_id,
            earlier.id < OutboxMessage.id,
            earlier.state != "delivered",
            earlier.kind != NOTIFICATION,
        )
        .exists()
    )
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.state == "pending",
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.claimed_until.is_(None),  # a lease that ran out is counted first
            (OutboxMessage.kind == NOTIFICATION) | ~waiting,
        )
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    until = now + timedelta(seconds=current_app.config["OPENDVC"].DELIVERY_LEASE_SECONDS)
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == due.scalar_subquery())
        .values(claimed_until=until)
        .returning(OutboxMessage.id)
    ).scalar()
    db.session.commit()
    return (claimed, until) if claimed is not None else None


def _backoff(attempts: int, asked: timedelta | None = None) -> timedelta:
    """Exponential backoff with jitter; never sooner than the back office asked (Retry-After),
    but never later than DELIVERY_RETRY_AFTER_MAX_SECONDS because it asked."""
    settings = current_app.config["OPENDVC"]
    base = settings.DELIVERY_BACKOFF_SECONDS
    ceiling = min(base * 2 ** (attempts - 1), 3600)
    wait = timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 (jitter, not secrecy)
    if asked is not None:
        wait = max(wait, min(asked, timedelta(seconds=settings.DELIVERY_RETRY_AFTER_MAX_SECONDS)))
    return wait


def _give_up(attempts: int, created_at: datetime, now: datetime) -> bool:
    settings = current_app.config["OPENDVC"]
    too_old = now - created_at > timedelta(hours=settings.DELIVERY_MAX_HOURS)
    return attempts >= settings.DELIVERY_MAX_ATTEMPTS or too_old


@dataclass
class Outcome:
    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


STOPPED = "worker stopped during delivery: its lease ran out before it recorded an outcome"


def _count_lost_attempts(now: datetime, outcome: Outcome) -> None:
    """A lease that ran out is an attempt that ended without an outcome: the worker died, or
    took longer than its lease. It counts like a failed attempt, so that a package that stops
    workers reaches DELIVERY_MAX_ATTEMPTS instead of being tried for ever. Each row changes
    only if its lease is still the one that ran out, so two workers never count it twice."""
    lost = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.state == "pending", OutboxMessage.claimed_until < now)
    ).all()
    for message in lost:
        attempts = message.attempts + 1
        state = "failed" if _give_up(attempts, message.created_at, now) else "pending"
        # An UPDATE's result is a CursorResult; SQLAlchemy types it as any statement's.
        changed = cast(
            "CursorResult[Any]",
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message.id, OutboxMessage.claimed_until == message.claimed_until)
                .values(
                    attempts=attempts,
                    claimed_until=None,
                    last_error=STOPPED,
                    state=state,
                    next_attempt_at=now + _backoff(attempts),
                )
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if changed:
            (outcome.failed if state == "failed" else outcome.retrying).append(message.idempotency_key)
    db.session.commit()


def _hand_over(message: OutboxMessage, dossier: Dossier) -> str:
    """Send one message where its kind goes; the reference to keep. Raises DeliveryFailed."""
    if message.kind == NOTIFICATION:  # to the applicant, on its channel
        return send_notification(message)
    supplement = db.session.get(Supplement, message.supplement_id) if message.supplement_id else None
    rating = message.payload if message.kind == "rating" else None
    paid = int((message.payload or {})["number"]) if message.kind == "payment" else None
    package = build(
        dossier,
        supplement,
        withdrawal=message.kind == "withdrawal",
        rating=rating,
        payment=paid,
        upto=message.id,
    )
    return get_backoffices()[message.adapter].submit(package=package).reference


def deliver(message_id: int, until: datetime, outcome: Outcome) -> None:
    """Deliver one claimed message outside any transaction, then record the outcome (one
    transaction) if our lease `until` still holds; noted in `outcome`."""
    # Both exist: the message was just claimed, and it goes with its dossier (ON DELETE CASCADE).
    message = db.session.get_one(OutboxMessage, message_id)
    dossier = db.session.get_one(Dossier, message.dossier_id)
    error = reference = asked = None
    refused = False
    try:
        reference = _hand_over(message, dossier)
    except DeliveryFailed as exc:
        error, refused, asked = str(exc), isinstance(exc, DeliveryRefused), exc.retry_after
    except Exception as exc:  # an adapter's bug must not stop the worker
        error = f"{type(exc).__name__}: {exc}"
    db.session.refresh(message)
    if message.claimed_until != until:  # our lease ran out and another worker took over
        db.session.rollback()
        return
    message.attempts += 1
    message.claimed_until = None
    now = clock.now()
    message.last_attempt_at = now
    if error is None:
        message.state, message.reference, message.delivered_at = "delivered", reference, now
        message.last_error = None
        outcome.delivered.append(message.idempotency_key)
    else:
        message.last_error = error[:2000]
        if refused or _give_up(message.attempts, message.created_at, now):
            message.state = "failed"
            outcome.failed.append(message.idempotency_key)
        else:
            message.next_attempt_at = now + _backoff(message.attempts, asked)
            outcome.retrying.append(message.idempotency_key)
    db.session.commit()


def deliver_due(limit: int = 100) -> Outcome:
    """Deliver every message that is due, up to `limit`; one transaction per outcome."""
    outcome = Outcome()
    _count_lost_attempts(clock.now(), outcome)
    for _ in range(limit):
        claimed = claim(clock.now())
        if claimed is None:
            break
        deliver(*claimed, outcome)
    return outcome


def resend(code: str) -> bool:
    """An operator sends a failed (or pending) dossier again, now."""
    changed = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.idempotency_key == code, OutboxMessage.state.in_(("failed", "pending")))
            .values(state="pending", attempts=0, next_attempt_at=clock.now(), claimed_until=None)
        ),
    ).rowcount
    db.session.commit()
    return bool(changed)
