"""Submitting a dossier. Each public function is one transaction (commits).

One state change: the signature is checked to cover the declaration as it reads now (when
SIGNING_REQUIRED), the dossier gets its code (mã hồ sơ) and the date the applicant may expect
the result and becomes NEW (mới đăng ký), and the submission is queued in the outbox; all of it
is committed together with the applicant's notification, or nothing is. The applicant gets an
acknowledgement of submission (the journey's acknowledgement page): the agency still has to
check the dossier. The receipt with its promised date (giấy tiếp nhận hồ sơ và hẹn trả kết quả)
is issued and sealed when the agency accepts it (status 2, app/events/services.py).
"""

from __future__ import annotations

from flask import current_app

from app import clock
from app.catalog.cases import processing_time
from app.dossiers import records
from app.dossiers.calendar import get_calendar
from app.dossiers.models import Dossier
from app.dossiers.records import DossierChanged
from app.dossiers.status import Status, check_transition
from app.notifications import notify
from app.outbox.queue import enqueue_submission
from app.signing.services import signature_covers
from app.store import services as store

__all__ = ["DossierChanged", "NotSigned", "submit"]


class NotSigned(Exception):
    """Only a validly signed dossier can be submitted."""


def submit(dossier: Dossier) -> None:
    """Give the dossier its code and expected date, mark it submitted (trạng thái 1) and queue
    it for the back office."""
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
    # Expected only (kept with the NEW event): the promised date is the agency's, at acceptance.
    days, unit = processing_time(definition, dossier.answers)  # the chosen case's (trường hợp)
    expected = calendar.due(received.date(), days, unit=unit)
    dossier.applicant_name = applicant["name"]
    dossier.applicant_identifier = applicant["identifier"]
    dossier.applicant_email = applicant["email"]
    dossier.applicant_phone = applicant["phone"]
    dossier.applicant_kind = applicant["kind"]
    records.record(dossier, Status.NEW, actor="applicant", at=submitted, promised_on=expected)
    records.flush()  # a change made meanwhile in another window shows here
    enqueue_submission(dossier)
    store.keep_submitted(dossier)  # into the applicant's store, when the dossier has an account
    notify(dossier, dossier.events[-1])  # the acknowledgement, to the email and phone given
    records.commit()
