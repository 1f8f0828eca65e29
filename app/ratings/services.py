"""Record a rating (one transaction, with its message to the back office) and count them for
the staff page. One store for both channels: the kiosk asks right after submission, the
tracking page once the result is given (FINISHED or RESULT_RETURNED)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.extensions import db
from app.outbox.queue import enqueue_rating
from app.ratings.models import Rating

SCORES = (1, 2, 3, 4, 5)
CHANNELS = ("kiosk", "online")
RATABLE_ONLINE = frozenset({Status.FINISHED, Status.RESULT_RETURNED})  # after the result
ATTEMPTS = 3  # two ratings of one dossier at once: the later one tries again


class NotRatable(Exception):
    """The dossier cannot be rated on this channel yet (online: before its result)."""


def may_rate_online(dossier: Dossier) -> bool:
    return dossier.code is not None and Status(dossier.status) in RATABLE_ONLINE


def rate(dossier: Dossier, score: int, *, channel: str = "kiosk") -> Rating:
    """Keep the dossier's rating (a second one replaces the first) and queue it for the back
    office (kind "rating", key `<code>-DG<n>`), in one transaction."""
    if score not in SCORES:
        raise ValueError(f"a score is one of {SCORES}")
    if channel not in CHANNELS:
        raise ValueError(f"a channel is one of {CHANNELS}")
    if channel == "online" and not may_rate_online(dossier):
        raise NotRatable()
    for attempt in range(ATTEMPTS):
        found = rating_of(dossier)
        if found is None:
            found = Rating(dossier_id=dossier.id, procedure_code=dossier.procedure_code)
            db.session.add(found)
        found.score, found.channel, found.rated_at = score, channel, clock.now()
        db.session.flush()
        enqueue_rating(dossier, {"score": score, "channel": channel, "rated_at": found.rated_at.isoformat()})
        try:
            db.session.commit()
        except IntegrityError:  # a concurrent rating took the key (or the first row) first
            db.session.rollback()
            if attempt == ATTEMPTS - 1:
                raise
            continue
        return found
    raise AssertionError("unreachable")


def rating_of(dossier: Dossier) -> Rating | None:
    return db.session.scalars(select(Rating).where(Rating.dossier_id == dossier.id)).one_or_none()


@dataclass
class Count:
    procedure_code: str
    by_score: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SCORES, 0))
    by_channel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))

    @property
    def total(self) -> int:
        return sum(self.by_score.values())

    @property
    def average(self) -> float:
        return sum(s * n for s, n in self.by_score.items()) / self.total if self.total else 0.0


def counts() -> list[Count]:
    """Per procedure, how many ratings of each score, and from which channel."""
    rows = db.session.execute(
        select(Rating.procedure_code, Rating.score, Rating.channel, func.count())
        .group_by(Rating.procedure_code, Rating.score, Rating.channel)
        .order_by(Rating.procedure_code)
    ).all()
    found: dict[str, Count] = {}
    for code, score, channel, n in rows:
        count = found.setdefault(code, Count(code))
        count.by_score[score] += n
        count.by_channel[channel] = count.by_channel.get(channel, 0) + n
    return list(found.values())
