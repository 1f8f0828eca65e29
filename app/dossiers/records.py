"""Dossier records, low level: find, record a transition, number, read the applicant and the
completeness. Everything here runs in the caller's transaction, never commits, except
`commit()`, the one way a dossier change is committed (a concurrent change becomes
DossierChanged)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.catalog import LoadedProcedure, get_catalog
from app.catalog.schema import Procedure
from app.dossiers.models import Attachment, Dossier, DossierEvent, DossierSequence
from app.dossiers.needs import applicant_kind
from app.dossiers.status import Status, check_transition
from app.extensions import db
from app.forms.answers import Section, sections
from app.forms.components import Slot, slots, stray
from app.forms.fields import display

EDITABLE = (Status.DRAFT, Status.SIGNED)


class DossierChanged(Exception):
    """Someone else changed the dossier meanwhile (another tab, a double click)."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def find_by_secret(secret: str) -> Dossier | None:
    if not secret or len(secret) > 100:
        return None
    return db.session.scalar(select(Dossier).where(Dossier.secret_hash == hash_secret(secret)))


# What `services.create` makes (secrets.token_urlsafe(12)): anything else names no dossier, and is
# never put to the database (a NUL, or a value longer than the column, is an error there).
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{16}")


def find_by_public_id(public_id: str) -> Dossier | None:
    if not PUBLIC_ID.fullmatch(public_id):
        return None
    return db.session.scalar(select(Dossier).where(Dossier.public_id == public_id))


def procedure_of(dossier: Dossier) -> LoadedProcedure:
    """The definition the dossier was started with, even if the catalog file changed since."""
    loaded = get_catalog().by_version(dossier.procedure_version)
    if loaded is None:
        raise LookupError(f"procedure version {dossier.procedure_version} is not recorded")
    return loaded


def record(
    dossier: Dossier,
    to: Status,
    *,
    actor: str,
    note: str | None = None,
    at: datetime,
    promised_on: date | None = None,
    apology: str | None = None,
) -> None:
    """A transition, checked against the state machine, with its history row. With
    `promised_on` the dossier's promised date changes, and the row keeps it."""
    current = Status(dossier.status) if dossier.status else None
    if current is not None:
        check_transition(current, to)
    dossier.status = to
    if promised_on is not None:
        dossier.due_on = promised_on
    dossier.events.append(
        DossierEvent(
            at=at,
            from_status=current,
            to_status=to,
            actor=actor,
            note=note,
            promised_on=promised_on,
            apology=apology,
        )
    )


def extend(
    dossier: Dossier, promised_on: date, *, actor: str, apology: str, note: str | None = None, at: datetime
) -> None:
    """An extension (gia hạn): the state stays, the promised date moves, the apology is kept."""
    current = Status(dossier.status)
    dossier.due_on = promised_on
    dossier.events.append(
        DossierEvent(
            at=at,
            from_status=current,
            to_status=current,
            actor=actor,
            note=note,
            promised_on=promised_on,
            apology=apology,
        )
    )


def reopen_if_signed(dossier: Dossier) -> None:
    """A change of the answers or documents: noted, and after signing the signature no longer
    covers the dossier, so back to draft."""
    dossier.content_changed_at = clock.now()
    if dossier.status == Status.SIGNED:
        record(dossier, Status.DRAFT, actor="applicant", at=clock.now(), note="changed after signing")


def commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DossierChanged() from None


def flush() -> None:
    """Write the transaction's changes so far, before work that must see them (queueing): a
    dossier changed meanwhile elsewhere rolls it all back and raises DossierChanged."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise DossierChanged() from None


def next_code(agency_code: str, day: date) -> str:
    """Mã hồ sơ in the Circular 01/2018/TT-VPCP form: <agency code>-YYMMDD-NNNN.

    The day's counter is raised by one atomic upsert, so concurrent submissions never share
    a number; it is part of the caller's transaction, so a rolled-back submission leaves no gap.
    """
    # A mapped class's __table__ is typed as any FromClause; a declarative class's is its Table.
    table = cast(Table, DossierSequence.__table__)
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
    sections: list[Section]  # every step as shown to a person
    missing: list[Slot]  # documents these answers require, with no file
    # Files no slot holds: of an entry gone from the answers, or of a document these answers do
    # not ask (another case's; the authorisation once the applicant files in person).
    stray: list[Attachment] = field(default_factory=list)

    @property
    def invalid(self) -> list[Section]:
        return [s for s in self.sections if not s.complete]

    @property
    def ok(self) -> bool:
        return not self.invalid and not self.missing and not self.stray


def completeness(dossier: Dossier) -> Completeness:
    """Whether every step passes its checks now, every document these answers require is there
    (the chosen case's, one per entry for a document per entry, the authorisation when filed by
    an authorised person) and no file is left that they do not ask."""
    loaded = procedure_of(dossier)
    wanted = slots(loaded.definition, dossier.answers)
    missing = [s for s in wanted if s.required and not any(s.holds(a) for a in dossier.attachments)]
    left = cast(list[Attachment], stray(loaded.definition, dossier.answers, dossier.attachments))
    return Completeness(sections(loaded, dossier.answers), missing, left)


def applicant_of(definition: Procedure, answers: dict[str, Any]) -> dict[str, str | None]:
    """The applicant (chủ hồ sơ) as the answers name it, with its kind (citizen, business,
    organisation, foreigner; None when the definition cannot tell)."""

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
        "kind": kind.value if (kind := applicant_kind(definition, answers)) else None,
    }
