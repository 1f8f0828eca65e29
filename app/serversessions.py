"""Sessions held on the server, for staff (app.staff) and for applicants (app.accounts).

The browser's cookie carries a random token; the server keeps only its sha256, in a row with its
owner, when it began and when it was last used. A session ends after `idle` without a request and
in any case `lifetime` after it began. Deleting its row ends it wherever the cookie may have been
copied to; deleting an owner's rows signs the owner out everywhere."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import Integer, String, delete, select, update
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from app import clock
from app.extensions import UTCDateTime, db

# How often a session's last request is written down: idle expiry is exact to this much, and a
# page view writes at most once in this time.
SEEN_GRANULARITY = timedelta(minutes=1)


class SessionColumns:
    """The columns of a session's row (a mixin of the staff's and the applicants' models)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


Row = TypeVar("Row", bound=SessionColumns)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ServerSessions(Generic[Row]):
    model: type[Row]
    owner: InstrumentedAttribute[int]  # the row's column that names its owner
    limits: Callable[[], tuple[timedelta, timedelta]]  # (idle, lifetime), from the settings

    def open(self, owner_id: int) -> str:
        """A new session for the owner (committed); the token for the cookie. Sessions that have
        ended by themselves, anyone's, are deleted on the way."""
        now = clock.now()
        idle, lifetime = self.limits()
        model = self.model
        db.session.execute(
            delete(model).where((model.last_seen_at <= now - idle) | (model.created_at <= now - lifetime))
        )
        token = secrets.token_urlsafe(32)
        row = model()
        row.token_hash, row.created_at, row.last_seen_at = token_hash(token), now, now
        setattr(row, self.owner.key, owner_id)
        db.session.add(row)
        db.session.commit()
        return token

    def close(self, token: object) -> None:
        if isinstance(token, str):
            db.session.execute(delete(self.model).where(self.model.token_hash == token_hash(token)))
            db.session.commit()

    def close_all(self, owner_id: int) -> None:
        db.session.execute(delete(self.model).where(self.owner == owner_id))
        db.session.commit()

    def owner_of(self, token: object) -> int | None:
        """The owner of the open session the cookie's token names, or None. Each use keeps the
        session open: its last request is written at most once a SEEN_GRANULARITY, in a plain
        UPDATE that a sign-out in parallel cannot make fail (committed: the caller loads the owner
        afterwards, so that what it loads is not expired by this commit)."""
        if not isinstance(token, str):
            return None
        record = db.session.scalars(
            select(self.model).where(self.model.token_hash == token_hash(token))
        ).first()
        if record is None:
            return None
        now = clock.now()
        idle, lifetime = self.limits()
        if now - record.last_seen_at >= idle or now - record.created_at >= lifetime:
            return None
        owner_id: int = getattr(record, self.owner.key)
        if now - record.last_seen_at >= SEEN_GRANULARITY:
            db.session.execute(
                update(self.model)
                .where(self.model.id == record.id)
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
        return owner_id
