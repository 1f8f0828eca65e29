"""Submitting a dossier. Each public function is one transaction (commits).

One state change: the signature is checked to cover the declaration as it reads now (when
SIGNING_REQUIRED), the dossier gets its code (mã hồ sơ) and due date and becomes NEW, the
submission is queued in the outbox and the receipt is sealed and stored. All of it is
committed together, or nothing is: a receipt that cannot be sealed leaves the dossier as it
was, to be submitted again.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.catalog.cases import processing_time
from app.dossiers import records
from app.dossiers.calendar import get_calendar
from app.dossiers.models import Dossier
from app.dossiers.records import DossierChanged
from app.dossiers.status import Status, check_transition
from app.extensions import db
from app.outbox.queue import enqueue_submission
from app.signing import receipts
from app.signing.services import signature_covers

__all__ = ["DossierChanged", "NotSigned", "ReceiptFailed", "submit"]


class NotSigned(Exception):
    """Only a validly signed dossier can be submitted."""


class ReceiptFailed(Exception):
    """The receipt could not be sealed: nothing was submitted."""

    message = _l(
        "Your dossier could not be submitted because its receipt could not be sealed. "
        "Nothing was sent: try again in a few minutes."
    )


def submit(dossier: Dossier, *, tracking_url: Callable[[str], str]) -> None:
    """Give the dossier its code and due date, mark it received (trạng thái 1), queue it and
    issue its sealed receipt. `tracking_url(code)` is printed on the receipt (the code only,
    never the access secret)."""
    definition = records.procedure_of(dossier).definition
    # The signature must cover the declaration as it is now: a document added in another
    # window while signing would otherwise go out unsigned.
    if current_app.config["OPENDVC"].SIGNING_REQUIRED and (
        dossier.status != Status.SIGNED or not signature_covers(dossier)
    ):
        raise NotSigned()
    check_transition(Status(dossier.status), Status.NEW)
    submitted = clock.now()
    calendar = get_calendar()
    # Outside working hours or on a day off, the dossier is received the next working morning.
    received = calendar.received(submitted)
    applicant = records.applicant_of(definition, dossier.answers)
    dossier.code = records.next_code(definition.agency.code, received.date())
    dossier.received_at = received
    days, unit = processing_time(definition, dossier.answers)  # the chosen case's (trường hợp)
    dossier.due_on = calendar.due(received.date(), days, unit=unit)
    dossier.applicant_name = applicant["name"]
    dossier.applicant_identifier = applicant["identifier"]
    dossier.applicant_email = applicant["email"]
    dossier.applicant_phone = applicant["phone"]
    dossier.applicant_kind = applicant["kind"]
    records.record(dossier, Status.NEW, actor="applicant", at=submitted)
    try:
        db.session.flush()  # a change made meanwhile in another window shows here
    except StaleDataError:
        db.session.rollback()
        raise DossierChanged() from None
    enqueue_submission(dossier)
    try:
        receipts.issue(dossier, tracking_url=tracking_url(dossier.code))
    except Exception as exc:  # a seal key or a timestamp authority that fails: keep nothing
        db.session.rollback()
        current_app.logger.exception("sealing the receipt of %s failed: not submitted", dossier.public_id)
        raise ReceiptFailed() from exc
    records.commit()
