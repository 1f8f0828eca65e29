"""What the applicant's page of a submitted dossier shows: its delivery to the back office and
the reference there, the results returned, the supplements asked for. Reads only."""

from __future__ import annotations

from dataclasses import dataclass

from app.catalog.schema import Procedure
from app.dossiers.models import Dossier
from app.dossiers.records import procedure_of
from app.outbox import queue as outbox
from app.outbox.models import OutboxMessage
from app.results import services as results
from app.results.models import ResultDocument
from app.supplements import services as supplements
from app.supplements.models import Supplement


@dataclass(frozen=True)
class Overview:
    dossier: Dossier
    definition: Procedure
    delivery: OutboxMessage | None
    backoffice_reference: str | None
    results: list[ResultDocument]
    supplements: list[Supplement]
    open_supplement: Supplement | None


def of(dossier: Dossier) -> Overview:
    return Overview(
        dossier=dossier,
        definition=procedure_of(dossier).definition,
        delivery=outbox.delivery_of(dossier),
        backoffice_reference=outbox.backoffice_reference(dossier),
        results=results.results_of(dossier),
        supplements=supplements.of(dossier),
        open_supplement=supplements.open_for(dossier),
    )
