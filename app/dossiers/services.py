"""State changes of dossiers. Each public function is one transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.exc import StaleDataError

from app.catalog import LoadedProcedure, get_catalog
from app.catalog.schema import Component, Procedure
from app.dossiers import calendar
from app.dossiers.models import Dossier, DossierEvent, DossierSequence
from app.dossiers.status import Status, check_transition
from app.extensions import db


class NotSigned(Exception):
    """Only a validly signed dossier can be submitted."""


class DossierChanged(Exception):
    """Someone else changed the dossier meanwhile (another tab, a double click)."""


@dataclass(frozen=True)
class Started:
    dossier: Dossier
    secret: str  # shown once, in the resume link; only its hash is stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def find_by_secret(secret: str) -> Dossier | None:
    if not secret or len(secret) > 100:
        return None
    return db.session.scalar(select(Dossier).where(Dossier.secret_hash == hash_secret(secret)))


def find_by_public_id(public_id: str) -> Dossier | None:
    return db.session.scalar(select(Dossier).where(Dossier.public_id == public_id))


def procedure_of(dossier: Dossier) -> LoadedProcedure:
    """The definition the dossier was started with, even if the catalog file changed since."""
    loaded = get_catalog().by_version(dossier.procedure_version)
    if loaded is None:
        raise LookupError(f"procedure version {dossier.procedure_version} is not recorded")
    return loaded


def record(dossier: Dossier, to: Status, *, actor: str, note: str | None = None, at: datetime) -> None:
    current = Status(dossier.status) if dossier.status else None
    if current is not None:
        check_transition(current, to)
    dossier.status = to
    dossier.events.append(DossierEvent(at=at, from_status=current, to_status=to, actor=actor, note=note))


def start(procedure: LoadedProcedure, *, locale: str) -> Started:
    get_catalog().pin(procedure)
    secret = secrets.token_urlsafe(24)
    dossier = Dossier(
        public_id=secrets.token_urlsafe(12),
        secret_hash=hash_secret(secret),
        procedure_code=procedure.definition.code,
        procedure_version=procedure.version,
        answers={},
        locale=locale,
    )
    db.session.add(dossier)
    record(dossier, Status.DRAFT, actor="applicant", at=calendar.now())
    db.session.commit()
    return Started(dossier, secret)


EDITABLE = (Status.DRAFT, Status.SIGNED)


def reopen_if_signed(dossier: Dossier) -> None:
    """A change of the answers or documents: noted, and after signing the signature no longer
    covers the dossier, so back to draft. Runs inside the caller's transaction."""
    dossier.content_changed_at = calendar.now()
    if dossier.status == Status.SIGNED:
        record(dossier, Status.DRAFT, actor="applicant", at=calendar.now(), note="changed after signing")


def save_answers(dossier: Dossier, answers: dict[str, Any]) -> None:
    """Merge one step's answers into the draft."""
    if dossier.status not in EDITABLE:
        raise DossierChanged("only a draft can be edited")
    if any(dossier.answers.get(k) != v for k, v in answers.items()):
        reopen_if_signed(dossier)
        dossier.content_changed_at = calendar.now()
    dossier.answers = {**dossier.answers, **answers}
    commit()


def commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DossierChanged() from None


def next_code(agency_code: str, day: date) -> str:
    """Mã hồ sơ in the Circular 01/2018/TT-VPCP form: <agency code>-YYMMDD-NNNN.

    The day's counter is raised by one atomic upsert, so concurrent submissions never share
    a number; it is part of the caller's transaction, so a rolled-back submission leaves no gap.
    """
    table = DossierSequence.__table__
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(agency_code=agency_code, day=day, last=1)
        .on_conflict_do_update(
            index_elements=[table.c.agency_code, table.c.day], set_={"last": table.c.last + 1}
        )
        .returning(table.c.last)
    )
    number = db.session.execute(statement).scalar_one()
    return f"{agency_code}-{day:%y%m%d}-{number:04d}"


@dataclass(frozen=True)
class Completeness:
    sections: list  # app.forms.answers.Section, every step as shown to a person
    missing: list[Component]  # required components with no file

    @property
    def invalid(self) -> list:
        return [s for s in self.sections if not s.complete]

    @property
    def ok(self) -> bool:
        return not self.invalid and not self.missing


def completeness(dossier: Dossier) -> Completeness:
    """Whether every step passes its checks now and every required document is there."""
    from app.forms.answers import sections

    loaded = procedure_of(dossier)
    given = {a.component_code for a in dossier.attachments}
    missing = [c for c in loaded.definition.components if c.required and c.code not in given]
    return Completeness(sections(loaded, dossier.answers), missing)


def applicant_of(definition: Procedure, answers: dict[str, Any]) -> dict[str, str | None]:
    from app.forms.fields import display

    def first(names: list[str]) -> str | None:
        for name in names:
            value = answers.get(name)
            if value:
                return display(definition.field_named(name), value)
        return None

    m = definition.form.applicant
    return {
        "name": first(m.name),
        "identifier": first(m.identifier),
        "email": first(m.email),
        "phone": first(m.phone),
        "address": first(m.address),
        "representative_name": first(m.representative_name),
        "representative_identifier": first(m.representative_identifier),
    }


def submit(dossier: Dossier) -> None:
    """Give the dossier its code and due date and mark it received (trạng thái 1)."""
    definition = procedure_of(dossier).definition
    if current_app.config["OPENDVC"].SIGNING_REQUIRED:
        from app.signing.services import signature_covers

        # The signature must cover the declaration as it is now: a document added in another
        # window while signing would otherwise go out unsigned.
        if dossier.status != Status.SIGNED or not signature_covers(dossier):
            raise NotSigned()
    check_transition(Status(dossier.status), Status.NEW)
    received = calendar.now()
    applicant = applicant_of(definition, dossier.answers)
    dossier.code = next_code(definition.agency.code, received.date())
    dossier.received_at = received
    dossier.due_on = calendar.add_working_days(received.date(), definition.processing_days)
    dossier.applicant_name = applicant["name"]
    dossier.applicant_identifier = applicant["identifier"]
    dossier.applicant_email = applicant["email"]
    dossier.applicant_phone = applicant["phone"]
    record(dossier, Status.NEW, actor="applicant", at=received)
    db.session.flush()
    from app.backoffice.outbox import enqueue_submission

    enqueue_submission(dossier)  # same transaction: submitted and queued, or neither
    commit()


def purge_drafts(older_than: timedelta) -> int:
    """Delete the drafts nobody has touched for `older_than`, with their documents' records,
    events and signatures (the database cascades). Submitted dossiers are never touched."""
    cutoff = calendar.now() - older_than
    deleted = db.session.execute(
        delete(Dossier).where(Dossier.status.in_(EDITABLE), Dossier.updated_at < cutoff)
    ).rowcount
    db.session.commit()
    return deleted
