"""Status events from back offices: authenticated, idempotent, applied in order.

A back office signs `<timestamp>.<body>` with HMAC-SHA256 and its own secret
(BACKOFFICE_SECRETS), and sends:

    POST /api/v1/backoffice/events
    X-OpenDVC-BackOffice: <adapter name>
    X-OpenDVC-Timestamp: <unix seconds>
    X-OpenDVC-Signature: <hex HMAC-SHA256>
    {"event_id": "…", "dossier_code": "…", "sequence": 1, "status": 2, "note": "…"}

With status 6 (payment requested) it may carry the fees asked for, each told to the applicant:
`"fees": [{"name": "Lệ phí cấp giấy phép", "amount": 500000}]` (VND).

With status 10 (result returned) it may carry the result documents, each a PDF signed by the
agency: `"results": [{"file_name": "giay-phep.pdf", "content": "<base64>"}]`. A result without
a valid, trusted signature refuses the whole event (422); accepted ones are coded
`<dossier code>-KQ<n>` and offered to the applicant.

The promised date (NgayHenTra) travels with an event as `"promised_on": "YYYY-MM-DD"` (a
Vietnamese calendar day, not before today):
  - on acceptance (status 2), where the receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả) is
    issued and sealed; without it the promised date is the working calendar's, counted from
    the day of acceptance;
  - when processing resumes after a supplement (5 → 4);
  - on an extension (gia hạn): an event with the dossier's *current* status again (2, 4, 5 or
    6), `promised_on` later than the date promised so far and the agency's apology,
    `"apology": "…"` (Decree 61/2018, art. 19: phiếu xin lỗi và hẹn lại ngày trả kết quả).
Every change is kept in the dossier's history and shown on its tracking page, and notified to
the applicant (app.notifications, queued in the event's transaction). A refusal at
reception (1 → 3) must give its reason in `note`. docs/status-transitions.md lists the
transitions allowed.

`sequence` counts a dossier's events from 1. A replay (same event id, or a sequence already
applied) changes nothing and is answered as such; a gap means an earlier event is missing and
is refused until it arrives; a transition the state machine forbids is refused. Copies of one
event posted at the same moment are one replay among others: one applies it, the others are
answered "already applied" once it is in, or 409 "send it again" when another event of the
dossier got in first; never a server error.

Each event is one transaction (`apply` commits, or rolls back and says why). The HTTP endpoint
is app/api/backoffice.py.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app, url_for
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.catalog.cases import processing_time
from app.dossiers.calendar import get_calendar
from app.dossiers.models import Dossier
from app.dossiers.records import DossierChanged, commit, extend, procedure_of, record
from app.dossiers.status import EXTENDABLE, Status, TransitionRefused
from app.events.models import StatusEventRecord
from app.extensions import db
from app.notifications import notify
from app.notifications.content import FeeDue
from app.outbox.queue import sent_to
from app.results import services as results
from app.results.services import MAX_RESULTS, ResultFile
from app.signing import receipts
from app.store import services as store
from app.supplements import records as supplements

WINDOW_SECONDS = 300


# Identifiers hold no control characters; free text holds no NUL (PostgreSQL refuses it in text).
IDENTIFIER = r"^[^\x00-\x1f\x7f]+$"
TEXT = r"^[^\x00]*$"
DAY = r"^\d{4}-\d{2}-\d{2}$"


class RequestedFee(BaseModel):
    """A fee asked for with a payment request (status 6), as the national portal's DanhSachLePhi
    names one: what it is (TenPhiLePhi) and how much, in VND (MucPhi). Told to the applicant."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(min_length=1, max_length=200, pattern=IDENTIFIER)
    amount: int = Field(ge=0, le=10**12)


class EventBody(BaseModel):
    """An event as a back office sends it. Strict: a JSON string or a float is never an integer,
    and a boolean is not a status."""

    model_config = ConfigDict(extra="forbid", strict=True)
    event_id: str = Field(min_length=8, max_length=128, pattern=IDENTIFIER)
    dossier_code: str = Field(min_length=1, max_length=40, pattern=IDENTIFIER)
    sequence: int = Field(ge=1, le=2**31 - 1)  # an INTEGER column
    status: int = Field(ge=1, le=10)
    note: str | None = Field(default=None, max_length=2000, pattern=TEXT)
    promised_on: str | None = Field(default=None, pattern=DAY)  # NgayHenTra, YYYY-MM-DD
    apology: str | None = Field(default=None, min_length=1, max_length=2000, pattern=TEXT)  # extension
    results: list[ResultFile] = Field(default=[], max_length=MAX_RESULTS)  # with status 10 only
    fees: list[RequestedFee] = Field(default=[], max_length=50)  # with status 6 only


@dataclass(frozen=True)
class Answer:
    status: int
    title: str


def plausible(headers: Any) -> bool:
    """A known back office and a fresh timestamp: worth reading the body to check the signature."""
    name = headers.get("X-OpenDVC-BackOffice", "")
    stamp = headers.get("X-OpenDVC-Timestamp", "")
    known = bool(current_app.config["OPENDVC"].BACKOFFICE_SECRETS.get(name))
    return known and stamp.isdigit() and abs(time.time() - int(stamp)) <= WINDOW_SECONDS


def authenticate(headers: Any, body: bytes) -> str | None:
    """The back office's name when the signature and the timestamp hold, else None."""
    if not plausible(headers):
        return None
    name = headers["X-OpenDVC-BackOffice"]
    secret = current_app.config["OPENDVC"].BACKOFFICE_SECRETS[name]
    stamp = headers["X-OpenDVC-Timestamp"]
    given = headers.get("X-OpenDVC-Signature", "")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return name if hmac.compare_digest(expected, given) else None


def apply(backoffice: str, raw: Any) -> Answer:
    """Apply one event (one transaction), or say why not."""
    try:
        event = EventBody.model_validate(raw)
    except ValidationError as exc:
        return Answer(400, f"invalid event: {exc.errors()[0]['msg']}")
    dossier = db.session.scalar(select(Dossier).where(Dossier.code == event.dossier_code))
    # A back office speaks only for the dossiers delivered to it: to the others it is a stranger,
    # and it learns nothing of their events (checked before the event id is looked up).
    if dossier is None or sent_to(dossier) != backoffice:
        return Answer(404, "no dossier has this code")
    seen = db.session.scalar(select(StatusEventRecord).where(StatusEventRecord.event_id == event.event_id))
    if seen is not None:
        if seen.dossier_id == dossier.id and seen.backoffice == backoffice:
            return Answer(200, "already applied")
        return Answer(409, "this event id was already used for another event")
    last = db.session.execute(
        select(func.coalesce(func.max(StatusEventRecord.sequence), 0)).where(
            StatusEventRecord.dossier_id == dossier.id
        )
    ).scalar_one()  # an aggregate: always one row
    if event.sequence <= last:
        return Answer(200, "already applied")
    if event.sequence > last + 1:
        return Answer(409, f"out of order: event {last + 1} has not arrived yet")
    wanted = Status.from_national_code(event.status)
    if event.results and wanted != Status.RESULT_RETURNED:
        return Answer(400, "result documents come with status 10 (result returned) only")
    if event.fees and wanted != Status.PAYMENT_REQUESTED:
        return Answer(400, "fees come with status 6 (payment requested) only")
    current = Status(dossier.status)
    try:
        promised = _promised(event, current, wanted, dossier)
    except _Refused as refused:
        return Answer(refused.status, refused.title)
    try:
        checked = results.check(event.results, backoffice=backoffice)
    except results.ResultRefused as refused:
        return Answer(422, f"result refused: {refused}")
    dossier_id = dossier.id
    try:
        # Any statement from here may flush the dossier's new version (autoflush), and a copy of
        # this event, or another event, may have changed it meanwhile: all of it is one attempt.
        at = clock.now()
        if wanted == current and promised is not None and event.apology:
            extend(dossier, promised, actor="backoffice", apology=event.apology, note=event.note, at=at)
        else:
            if wanted == Status.ACCEPTED and promised is None:
                promised = _calendar_due(dossier)
            record(
                dossier,
                wanted,
                actor="backoffice",
                note=event.note,
                at=at,
                promised_on=promised,
                apology=event.apology,
            )
        db.session.add(
            StatusEventRecord(
                event_id=event.event_id,
                backoffice=backoffice,
                dossier_id=dossier_id,
                sequence=event.sequence,
                status_code=event.status,
                note=event.note,
                promised_on=promised,
                apology=event.apology,
            )
        )
        returned = results.attach(dossier, checked)
        store.keep_results(dossier, returned)  # the account's copies
        if wanted == Status.SUPPLEMENT_REQUESTED and current != wanted:
            supplements.request(dossier, event.note)
        if wanted == Status.ACCEPTED and current != wanted:  # an extension keeps its receipt
            db.session.flush()  # a concurrent change shows here, before the seal is made
            _issue_receipt(dossier)
        # The applicant hears of every event applied (an extension too), in this transaction.
        notify(
            dossier,
            dossier.events[-1],
            fees=[FeeDue(fee.name, fee.amount) for fee in event.fees],
            result_codes=[document.code for document in returned],
        )
        commit()
    except TransitionRefused as refused:
        db.session.rollback()
        return Answer(409, f"not allowed: {refused}")
    except (DossierChanged, StaleDataError, IntegrityError):
        db.session.rollback()
        return _raced(event, dossier_id)
    except ReceiptFailed:
        db.session.rollback()
        current_app.logger.exception(
            "sealing the receipt of dossier %s failed: not accepted", event.dossier_code
        )
        return Answer(503, "the receipt could not be sealed: nothing was applied, send the event again later")
    return Answer(200, "applied")


class _Refused(Exception):
    def __init__(self, status: int, title: str) -> None:
        super().__init__(title)
        self.status = status
        self.title = title


class ReceiptFailed(Exception):
    """The receipt could not be sealed (a seal key or a timestamp authority that fails)."""


def _promised(event: EventBody, current: Status, wanted: Status, dossier: Dossier) -> date | None:
    """The promised date the event sets, checked against what it may set; _Refused says why not."""
    if event.apology is not None and event.promised_on is None:
        raise _Refused(400, "invalid event: an apology comes with a new promised date (promised_on)")
    if wanted == Status.REFUSED and not (event.note or "").strip():
        raise _Refused(400, "invalid event: a refusal (status 3) must give its reason in note")
    accepted_before = any(e.to_status == Status.ACCEPTED for e in dossier.events)
    if wanted == Status.ACCEPTED and current != Status.ACCEPTED and accepted_before:
        raise _Refused(409, "not allowed: the dossier was accepted already (its receipt is issued)")
    if event.promised_on is None:
        return None
    try:
        promised = date.fromisoformat(event.promised_on)
    except ValueError:
        raise _Refused(400, "invalid event: promised_on is not a calendar day (YYYY-MM-DD)") from None
    if promised < clock.now().astimezone(clock.VIETNAM).date():
        raise _Refused(400, "invalid event: promised_on is in the past")
    if wanted == current:
        if current not in EXTENDABLE:
            raise _Refused(409, f"not allowed: the promised date of a dossier {current} cannot be extended")
        if not event.apology:
            raise _Refused(400, "invalid event: an extension (same status, promised_on) needs the apology")
        if dossier.due_on is not None and promised <= dossier.due_on:
            raise _Refused(400, "invalid event: an extension must promise a later date than before")
        return promised
    resumed = wanted == Status.PROCESSING and current == Status.SUPPLEMENT_REQUESTED
    if wanted != Status.ACCEPTED and not resumed:
        raise _Refused(
            400,
            "invalid event: promised_on comes with the acceptance (2), the processing after a "
            "supplement (5 → 4) or an extension (the same status again)",
        )
    return promised


def _calendar_due(dossier: Dossier) -> date:
    """The working calendar's promised date, counted from the day of acceptance."""
    definition = procedure_of(dossier).definition
    calendar = get_calendar()
    accepted = calendar.received(clock.now()).date()
    days, unit = processing_time(definition, dossier.answers)  # the chosen case's (trường hợp)
    return calendar.due(accepted, days, unit=unit)


def _issue_receipt(dossier: Dossier) -> None:
    # The printed receipt carries the tracking page's address with the code only, never a secret.
    tracking = url_for("track.track", code=dossier.code, _external=True)
    try:
        receipts.issue(dossier, tracking_url=tracking)
    except Exception as exc:
        raise ReceiptFailed() from exc


def _raced(event: EventBody, dossier_id: int) -> Answer:
    """Another transaction changed the dossier first: a copy of this event (then it is applied,
    as an exact repeat would be told) or another event (then this one must come again)."""
    applied = select(StatusEventRecord.id).where(
        (StatusEventRecord.event_id == event.event_id)
        | ((StatusEventRecord.dossier_id == dossier_id) & (StatusEventRecord.sequence >= event.sequence))
    )
    if db.session.scalar(applied.limit(1)) is not None:
        return Answer(200, "already applied")
    return Answer(409, "a concurrent event was applied first: send it again")
