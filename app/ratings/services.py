"""Record a rating (one transaction) and count them for the staff page."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from app import clock
from app.dossiers.models import Dossier
from app.extensions import db
from app.ratings.models import Rating

SCORES = (1, 2, 3, 4, 5)


def rate(dossier: Dossier, score: int, *, channel: str = "kiosk") -> Rating:
    if score not in SCORES:
        raise ValueError(f"a score is one of {SCORES}")
    found = db.session.scalars(select(Rating).where(Rating.dossier_id == dossier.id)).one_or_none()
    if found is None:
        found = Rating(dossier_id=dossier.id, procedure_code=dossier.procedure_code)
        db.session.add(found)
    found.score, found.channel, found.rated_at = score, channel, clock.now()
    db.session.commit()
    return found


def rating_of(dossier: Dossier) -> Rating | None:
    return db.session.scalars(select(Rating).where(Rating.dossier_id == dossier.id)).one_or_none()


@dataclass
class Count:
    procedure_code: str
    by_score: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SCORES, 0))

    @property
    def total(self) -> int:
        return sum(self.by_score.values())

    @property
    def average(self) -> float:
        return sum(s * n for s, n in self.by_score.items()) / self.total if self.total else 0.0


def counts() -> list[Count]:
    """Per procedure, how many ratings of each score."""
    rows = db.session.execute(
        select(Rating.procedure_code, Rating.score, func.count())
        .group_by(Rating.procedure_code, Rating.score)
        .order_by(Rating.procedure_code)
    ).all()
    found: dict[str, Count] = {}
    for code, score, n in rows:
        found.setdefault(code, Count(code)).by_score[score] = n
    return list(found.values())
