"""Requests for supplements, as the back office's status 5 event opens them. Runs in the
caller's transaction, never commits."""

from __future__ import annotations

from sqlalchemy import func, select

from app import clock
from app.dossiers.models import Dossier
from app.extensions import db
from app.supplements.models import Supplement


def request(dossier: Dossier, note: str | None) -> Supplement:
    """A new request, numbered BS<n>."""
    last = db.session.execute(
        select(func.coalesce(func.max(Supplement.number), 0)).where(Supplement.dossier_id == dossier.id)
    ).scalar_one()  # an aggregate: always one row
    supplement = Supplement(
        dossier_id=dossier.id, number=last + 1, requested_note=note, requested_at=clock.now(), state="open"
    )
    db.session.add(supplement)
    return supplement
