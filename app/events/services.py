"""Status events from back offices: authenticated, idempotent, applied in order.

A back office signs `<timestamp>.<body>` with HMAC-SHA256 and its own secret
(BACKOFFICE_SECRETS), and sends:

    POST /api/v1/backoffice/events
    X-OpenDVC-BackOffice: <adapter name>
    X-OpenDVC-Timestamp: <unix seconds>
    X-OpenDVC-Signature: <hex HMAC-SHA256>
    {"event_id": "…", "dossier_code": "…", "sequence": 1, "status": 2, "note": "…"}

With status 10 (result returned) it may carry the result documents, each a PDF signed by the
agency: `"results": [{"file_name": "giay-phep.pdf", "content": "<base64>"}]`. A result without
a valid, trusted signature refuses the whole event (422); accepted ones are coded
`<dossier code>-KQ<n>` and offered to the applicant.

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
from typing import Any

from flask import current_app
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.dossiers.models import Dossier
from app.dossiers.records import DossierChanged, commit, record
from app.dossiers.status import Status, TransitionRefused
from app.events.models import StatusEventRecord
from app.extensions import db
from app.outbox.queue import sent_to
from app.results import services as results
from app.results.services import MAX_RESULTS, ResultFile
from app.supplements import records as supplements

WINDOW_SECONDS = 300


# Identifiers hold no control characters; free text holds no NUL (PostgreSQL refuses it in text).
IDENTIFIER = r"^[^\x00-\x1f\x7f]+$"
TEXT = r"^[^\x00]*$"


class EventBody(BaseModel):
    """An event as a back office sends it. Strict: a JSON string or a float is never an integer,
    and a boolean is not a status."""

    model_config = ConfigDict(extra="forbid", strict=True)
    event_id: str = Field(min_length=8, max_length=128, pattern=IDENTIFIER)
    dossier_code: str = Field(min_length=1, max_length=40, pattern=IDENTIFIER)
    sequence: int = Field(ge=1, le=2**31 - 1)  # an INTEGER column
    status: int = Field(ge=1, le=10)
    note: str | None = Field(default=None, max_length=2000, pattern=TEXT)
    results: list[ResultFile] = Field(default=[], max_length=MAX_RESULTS)  # with status 10 only


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
    try:
        checked = results.check(event.results, backoffice=backoffice)
    except results.ResultRefused as refused:
        return Answer(422, f"result refused: {refused}")
    dossier_id = dossier.id
    try:
        # Any statement from here may flush the dossier's new version (autoflush), and a copy of
        # this event, or another event, may have changed it meanwhile: all of it is one attempt.
        record(
            dossier,
            wanted,
            actor="backoffice",
            note=event.note,
            at=clock.now(),
        )
        db.session.add(
            StatusEventRecord(
                event_id=event.event_id,
                backoffice=backoffice,
                dossier_id=dossier_id,
                sequence=event.sequence,
                status_code=event.status,
                note=event.note,
            )
        )
        results.attach(dossier, checked)
        if wanted == Status.SUPPLEMENT_REQUESTED:
            supplements.request(dossier, event.note)
        commit()
    except TransitionRefused as refused:
        db.session.rollback()
        return Answer(409, f"not allowed: {refused}")
    except (DossierChanged, StaleDataError, IntegrityError):
        db.session.rollback()
        return _raced(event, dossier_id)
    return Answer(200, "applied")


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
