"""What the applicant's page of a submitted dossier shows: its delivery to the back office and
the reference there, the results returned, the supplements asked for, the promised date and its
history, the fees asked and their payments. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from app.catalog.schema import Procedure
from app.dossiers.models import Dossier
from app.dossiers.records import procedure_of
from app.dossiers.status import Status
from app.outbox import queue as outbox
from app.outbox.models import OutboxMessage
from app.payments import services as payments
from app.payments.models import DUE, Charge
from app.results import services as results
from app.results.models import ResultDocument
from app.supplements import services as supplements
from app.supplements.models import Supplement


@dataclass(frozen=True)
class PromisedDate:
    """One date the applicant was given: expected at submission, promised at acceptance, moved
    after a supplement, or extended (with the agency's apology)."""

    at: datetime
    on: date
    kind: Literal["expected", "accepted", "changed", "extended"]
    apology: str | None
    note: str | None


def promised_dates(dossier: Dossier) -> list[PromisedDate]:
    """The dossier's dates, oldest first."""
    found = []
    for e in dossier.events:
        if e.promised_on is None:
            continue
        if e.to_status == Status.NEW:
            kind: Literal["expected", "accepted", "changed", "extended"] = "expected"
        elif e.from_status == e.to_status:
            kind = "extended"
        elif e.to_status == Status.ACCEPTED:
            kind = "accepted"
        else:
            kind = "changed"
        found.append(PromisedDate(e.at, e.promised_on, kind, e.apology, e.note))
    return found


@dataclass(frozen=True)
class Overview:
    dossier: Dossier
    definition: Procedure
    delivery: OutboxMessage | None
    backoffice_reference: str | None
    results: list[ResultDocument]
    supplements: list[Supplement]
    open_supplement: Supplement | None
    promised: list[PromisedDate]
    charges: list[Charge]

    @property
    def due(self) -> int:
        """What the applicant is asked to pay now (VND): the charges still due."""
        return sum(c.amount for c in self.charges if c.state == DUE)


def of(dossier: Dossier) -> Overview:
    return Overview(
        dossier=dossier,
        definition=procedure_of(dossier).definition,
        delivery=outbox.delivery_of(dossier),
        backoffice_reference=outbox.backoffice_reference(dossier),
        results=results.results_of(dossier),
        supplements=supplements.of(dossier),
        open_supplement=supplements.open_for(dossier),
        promised=promised_dates(dossier),
        charges=payments.charges_of(dossier),
    )
