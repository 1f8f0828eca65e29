"""Submitting a dossier. Each public function is one transaction (commits), except the hook that
sends a dossier when its fees are paid, which runs in the payment's settling transaction.

One state change: the signature is checked to cover the declaration as it reads now (when
SIGNING_REQUIRED), the dossier gets its code (mã hồ sơ) and the date the applicant may expect
the result and becomes NEW (mới đăng ký), and the submission is queued in the outbox; all of it
is committed together with the applicant's notification, or nothing is. The applicant gets an
acknowledgement of submission (the journey's acknowledgement page): the agency still has to
check the dossier. The receipt with its promised date (giấy tiếp nhận hồ sơ và hẹn trả kết quả)
is issued and sealed when the agency accepts it (status 2, app/events/services.py).

Fees known at submission (fixed, or computed from the answers), when payment providers are
offered, open a charge in the same transaction. The procedure says when they are paid
(`fees_paid`): before sending, the dossier gets its code and waits (AWAITING_PAYMENT), and is
sent by `send_when_paid` when the provider confirms the payment; after sending, it goes out now
and the charge stays due. Fees decided later are asked by the agency (status 6), not here.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.catalog.cases import processing_time
from app.catalog.schema import Procedure
from app.dossiers import records
from app.dossiers.calendar import get_calendar
from app.dossiers.fees import fees_due
from app.dossiers.models import Dossier
from app.dossiers.records import DossierChanged
from app.dossiers.status import Status, check_transition
from app.notifications import notify
from app.outbox.queue import enqueue_submission
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import Item, get_providers
from app.signing.services import signature_covers
from app.store import services as store

__all__ = [
    "DossierChanged",
    "NotAwaitingPayment",
    "NotSigned",
    "back_to_draft",
    "known_fees",
    "send_when_paid",
    "submit",
]


class NotSigned(Exception):
    """Only a validly signed dossier can be submitted."""


class NotAwaitingPayment(Exception):
    """Only a dossier waiting for its fees goes back to a draft from the payment page."""


def known_fees(definition: Procedure, answers: dict) -> list[Item]:
    """The fees charged at submission when paid online: those whose amount is known from the
    answers and is more than 0. An empty list when no provider is offered: fees are shown only."""
    if not get_providers():
        return []
    return [
        Item(code=due.fee.code or "", kind=due.fee.kind.value, name=due.fee.name.vi, amount=due.amount)
        for due in fees_due(definition, answers)
        if due.amount
    ]


def submit(dossier: Dossier) -> None:
    """Give the dossier its code and, unless its fees are paid first, its expected date; mark
    it submitted (trạng thái 1) and queue it for the back office, or mark it waiting for the
    fees (AWAITING_PAYMENT) with its charge opened."""
    definition = records.procedure_of(dossier).definition
    # The signature must cover the declaration as it is now: a document added in another
    # window while signing would otherwise go out unsigned.
    if current_app.config["OPENDVC"].SIGNING_REQUIRED and (
        dossier.status != Status.SIGNED or not signature_covers(dossier)
    ):
        raise NotSigned()
    items = known_fees(definition, dossier.answers)
    pay_first = bool(items) and definition.fees_paid == "before_sending"
    check_transition(Status(dossier.status), Status.AWAITING_PAYMENT if pay_first else Status.NEW)
    submitted = clock.now()
    applicant = records.applicant_of(definition, dossier.answers)
    if dossier.code is None:  # taken back to a draft while waiting for its fees, it keeps its code
        dossier.code = records.next_code(definition.agency.code, get_calendar().received(submitted).date())
    dossier.applicant_name = applicant["name"]
    dossier.applicant_identifier = applicant["identifier"]
    dossier.applicant_email = applicant["email"]
    dossier.applicant_phone = applicant["phone"]
    dossier.applicant_kind = applicant["kind"]
    if pay_first:
        records.record(dossier, Status.AWAITING_PAYMENT, actor="applicant", at=submitted)
        records.flush()  # a change made meanwhile in another window shows here
        payments.open_charge(dossier, items, origin=payments.AT_SUBMISSION, before_sending=True)
    else:
        _send(dossier, definition, submitted)
        if items:
            payments.open_charge(dossier, items, origin=payments.AT_SUBMISSION, before_sending=False)
    records.commit()


def _send(dossier: Dossier, definition: Procedure, at: datetime) -> None:
    """NEW, received at `at` by the working calendar, queued for the back office, kept in the
    applicant's store and told to the applicant: in the caller's transaction."""
    calendar = get_calendar()
    # Outside working hours or on a day off, the dossier is received the next working morning.
    received = calendar.received(at)
    dossier.received_at = received
    # Expected only (kept with the NEW event): the promised date is the agency's, at acceptance.
    days, unit = processing_time(definition, dossier.answers)  # the chosen case's (trường hợp)
    expected = calendar.due(received.date(), days, unit=unit)
    records.record(dossier, Status.NEW, actor="applicant", at=at, promised_on=expected)
    records.flush()  # a change made meanwhile in another window shows here
    enqueue_submission(dossier)
    store.keep_submitted(dossier)  # into the applicant's store, when the dossier has an account
    notify(dossier, dossier.events[-1])  # the acknowledgement, to the email and phone given


def send_when_paid(charge: Charge, payment: Payment) -> None:
    """The `on_paid` hook (app.payments.services.settle's transaction, from a request or a
    command): a dossier waiting for the fees of this charge is sent now that they are paid."""
    dossier = charge.dossier
    if not charge.before_sending or dossier.status != Status.AWAITING_PAYMENT:
        return
    try:
        _send(dossier, records.procedure_of(dossier).definition, clock.now())
    except DossierChanged as changed:  # rolled back: settle reads it all again and retries
        raise StaleDataError(str(changed)) from changed


def back_to_draft(dossier: Dossier) -> None:
    """The applicant changes a dossier waiting for its fees: a draft again, its charges still due
    cancelled (a payment that still arrives is refunded). One transaction."""
    if dossier.status != Status.AWAITING_PAYMENT:
        raise NotAwaitingPayment()
    records.record(dossier, Status.DRAFT, actor="applicant", at=clock.now(), note="changed before paying")
    payments.cancel_due(dossier)
    records.commit()
