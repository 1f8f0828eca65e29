"""What the staff's payments page shows (payments left unsettled, failed, unreconciled, refunds
due), asking a provider about one payment now, and recording a refund."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_timedelta
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, Select, select

from app import clock
from app.dossiers.models import Dossier
from app.extensions import db
from app.payments import services
from app.payments.models import (
    CHECK_ERROR,
    CHECK_MISMATCH,
    CHECK_NOT_OFFERED,
    CHECK_PENDING,
    CHECK_UNAVAILABLE,
    CHECK_UNKNOWN,
    EXPIRED,
    FAILED,
    PAID,
    STARTED,
    Payment,
)

SHOWN = 200  # rows per section; the oldest first where something waits, the newest otherwise


class Labels:
    """The words the page shows for the codes kept on a payment."""

    checks = {
        CHECK_PENDING: _l("Not settled yet, says the provider"),
        CHECK_UNKNOWN: _l("Unknown to the provider"),
        CHECK_UNAVAILABLE: _l("The provider could not be asked"),
        CHECK_MISMATCH: _l("Answer refused: not what was asked"),
        CHECK_NOT_OFFERED: _l("Provider no longer offered"),
        CHECK_ERROR: _l("Asking failed (see the log)"),
    }
    states = {STARTED: _l("Started"), PAID: _l("Paid"), FAILED: _l("Not paid"), EXPIRED: _l("Expired")}
    # Payment.refund_reason, as app.payments.services writes it
    reasons = {
        "charge paid": _l("Paid twice: the charge was paid by another payment"),
        "charge cancelled": _l("The charge was cancelled"),
        "dossier withdrawn": _l("The dossier was withdrawn"),
        "dossier refused": _l("The dossier was not accepted"),
        "dossier stopped": _l("Processing of the dossier was stopped"),
    }


def age(elapsed: timedelta) -> str:
    """How long ago, in the page's language: "3 minutes"."""
    return format_timedelta(elapsed, threshold=1.1)


# One row: the payment and its dossier's code.
Listed = Row[Payment, str | None]


@dataclass(frozen=True)
class Payments:
    now: datetime
    waiting: Sequence[Listed]  # started, within the reconcile window: a notification may still come
    unreconciled: Sequence[Listed]  # started past the window: reconciliation asks, or could not
    failed: Sequence[Listed]  # failed or expired, the newest first
    refunds: Sequence[Listed]  # paid and flagged for refund, not refunded yet, the oldest first
    refunded: Sequence[Listed]  # refunds recorded, the newest first


def _rows() -> Select[Payment, str | None]:
    return select(Payment, Dossier.code).join(Dossier, Dossier.id == Payment.dossier_id)


def listing() -> Payments:
    now = clock.now()
    window = now - timedelta(seconds=current_app.config["OPENDVC"].PAYMENT_RECONCILE_AFTER_SECONDS)
    started = _rows().where(Payment.state == STARTED)
    return Payments(
        now=now,
        waiting=db.session.execute(
            started.where(Payment.started_at > window).order_by(Payment.started_at, Payment.id).limit(SHOWN)
        ).all(),
        unreconciled=db.session.execute(
            started.where(Payment.started_at <= window).order_by(Payment.started_at, Payment.id).limit(SHOWN)
        ).all(),
        failed=db.session.execute(
            _rows()
            .where(Payment.state.in_((FAILED, EXPIRED)))
            .order_by(Payment.settled_at.desc(), Payment.id.desc())
            .limit(SHOWN)
        ).all(),
        refunds=db.session.execute(
            _rows()
            .where(Payment.state == PAID, Payment.refund_due.is_(True), Payment.refunded_at.is_(None))
            .order_by(Payment.settled_at, Payment.id)
            .limit(SHOWN)
        ).all(),
        refunded=db.session.execute(
            _rows()
            .where(Payment.refunded_at.is_not(None))
            .order_by(Payment.refunded_at.desc(), Payment.id.desc())
            .limit(SHOWN)
        ).all(),
    )


@dataclass(frozen=True)
class Asked:
    reference: str
    outcome: str  # what services.check came to
    state: str  # the payment's state after


def ask(payment_id: int) -> Asked | None:
    """Ask the payment's provider about it now, whatever the backoff (reconcile this one);
    None for an unknown payment."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        return None
    reference = payment.reference
    outcome = services.check(payment_id, force=True)
    return Asked(reference, outcome, db.session.get_one(Payment, payment_id).state)


def refund(payment_id: int, *, by: str, note: str | None) -> Payment:
    """Raises LookupError, or services.NotRefundable."""
    return services.record_refund(payment_id, by=by, note=note)
