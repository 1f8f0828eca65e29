"""Dossier-only state changes: start a draft, save answers, purge old drafts. Each public
function is one transaction (commits). Submission, which also queues the dossier and issues its
receipt, is the journey's (app/journey/submission.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete

from app import clock
from app.catalog import LoadedProcedure, get_catalog
from app.dossiers.entries import follow_entries
from app.dossiers.models import Dossier
from app.dossiers.records import (
    EDITABLE,
    DossierChanged,
    commit,
    hash_secret,
    procedure_of,
    record,
    reopen_if_signed,
)
from app.dossiers.status import Status
from app.extensions import db


@dataclass(frozen=True)
class Started:
    dossier: Dossier
    secret: str  # shown once, in the resume link; only its hash is stored


def start(procedure: LoadedProcedure, *, locale: str, account_id: int | None = None) -> Started:
    """A new draft; with `account_id` (started signed in) it is that account's from the start,
    reached by signing in only (app.dossiers.access)."""
    get_catalog().pin(procedure)
    secret = secrets.token_urlsafe(24)
    dossier = Dossier(
        public_id=secrets.token_urlsafe(12),
        secret_hash=hash_secret(secret),
        procedure_code=procedure.definition.code,
        procedure_version=procedure.version,
        answers={},
        locale=locale,
        account_id=account_id,
    )
    db.session.add(dossier)
    record(dossier, Status.DRAFT, actor="applicant", at=clock.now())
    db.session.commit()
    return Started(dossier, secret)


def save_answers(dossier: Dossier, answers: dict[str, Any]) -> None:
    """Merge one step's answers into the draft."""
    if dossier.status not in EDITABLE:
        raise DossierChanged("only a draft can be edited")
    if any(dossier.answers.get(k) != v for k, v in answers.items()):
        reopen_if_signed(dossier)
        dossier.content_changed_at = clock.now()
        follow_entries(procedure_of(dossier).definition, dossier, answers)
    dossier.answers = {**dossier.answers, **answers}
    commit()


def purge_drafts(older_than: timedelta) -> int:
    """Delete the drafts nobody has touched for `older_than`, with their documents' records,
    events and signatures (the database cascades). Submitted dossiers are never touched."""
    cutoff = clock.now() - older_than
    # A DELETE's result is a CursorResult; SQLAlchemy types it as any statement's.
    deleted = cast(
        "CursorResult[Any]",
        db.session.execute(delete(Dossier).where(Dossier.status.in_(EDITABLE), Dossier.updated_at < cutoff)),
    ).rowcount
    db.session.commit()
    return deleted
