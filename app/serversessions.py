"""Sessions held on the server, for staff (app.staff) and for applicants (app.accounts).

The browser's cookie carries a random token; the server keeps only its sha256, with its owner,
when it began and when it was last used. A session ends after `idle` without a request and in any
case `lifetime` after it began. Closing it ends it wherever the cookie may have been copied to;
closing an owner's sessions signs the owner out everywhere.

Where they are kept is a store chosen by the settings (`STORES`): "database", rows of the
feature's own table (one process or several on one database), or "redis" when OPENDVC_REDIS_URL
is set (several machines; the rows stay empty). Both keep the same promises, tested by one
contract (tests/deployment/test_session_stores.py)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import redis
from flask import Flask, current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import CursorResult, Integer, String, delete, select, update
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from app import clock
from app.config import ENV_PREFIX, Settings, not_answering
from app.extensions import UTCDateTime, db

# How often a session's last request is written down: idle expiry is exact to this much, and a
# page view writes at most once in this time.
SEEN_GRANULARITY = timedelta(minutes=1)
# An unreachable Redis answers a request with an error page within this, never hangs it.
REDIS_TIMEOUTS = {"socket_connect_timeout": 3.0, "socket_timeout": 5.0}


class SessionColumns:
    """The columns of a session's row (a mixin of the staff's and the applicants' models)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionKind:
    """One kind of session: staff's or applicants'."""

    name: str  # "staff", "account": Redis keys carry it
    model: type[SessionColumns]
    owner: InstrumentedAttribute[int]  # the row's column that names its owner
    limits: Callable[[], tuple[timedelta, timedelta]]  # (idle, lifetime), from the settings


def _ended(
    now: datetime, created: datetime, last_seen: datetime, idle: timedelta, lifetime: timedelta
) -> bool:
    return now - last_seen >= idle or now - created >= lifetime


class SessionStore(Protocol):
    """Where the sessions of every kind are kept. Each method is one change, done when it
    returns (committed, for the database)."""

    def open(self, kind: SessionKind, *, owner_id: int, token: str) -> None:
        """Keep a new session of `owner_id`, named by `token` (only its hash is kept)."""

    def close(self, kind: SessionKind, *, token: str) -> None: ...

    def close_all(self, kind: SessionKind, *, owner_id: int) -> int:
        """End every session of the owner; how many were open."""

    def owner_of(self, kind: SessionKind, *, token: str) -> int | None:
        """The owner of the open session `token` names, or None; keeps it open (its last request
        written at most once a SEEN_GRANULARITY)."""


StoreFactory = Callable[[Settings], SessionStore]
STORES: dict[str, StoreFactory] = {}


def store(name: str) -> Callable[[StoreFactory], StoreFactory]:
    """Register a session store under `name` (a second of the same name is refused)."""

    def register(factory: StoreFactory) -> StoreFactory:
        if name in STORES:
            raise RuntimeError(f"two session stores are named {name!r}")
        STORES[name] = factory
        return factory

    return register


def _rows_changed(statement: Any) -> int:
    result: CursorResult[Any] = db.session.execute(statement)  # type: ignore[assignment]
    return result.rowcount


@store("database")
class DatabaseStore:
    """A row per session in the kind's own table (`staff_sessions`, `account_sessions`)."""

    def __init__(self, settings: Settings | None = None) -> None:
        pass

    def open(self, kind: SessionKind, *, owner_id: int, token: str) -> None:
        """Sessions that have ended by themselves, anyone's, are deleted on the way."""
        now = clock.now()
        idle, lifetime = kind.limits()
        model = kind.model
        db.session.execute(
            delete(model).where((model.last_seen_at <= now - idle) | (model.created_at <= now - lifetime))
        )
        row = model()
        row.token_hash, row.created_at, row.last_seen_at = token_hash(token), now, now
        setattr(row, kind.owner.key, owner_id)
        db.session.add(row)
        db.session.commit()

    def close(self, kind: SessionKind, *, token: str) -> None:
        db.session.execute(delete(kind.model).where(kind.model.token_hash == token_hash(token)))
        db.session.commit()

    def close_all(self, kind: SessionKind, *, owner_id: int) -> int:
        ended = _rows_changed(delete(kind.model).where(kind.owner == owner_id))
        db.session.commit()
        return ended

    def owner_of(self, kind: SessionKind, *, token: str) -> int | None:
        """The last request is written in a plain UPDATE that a sign-out in parallel cannot make
        fail (committed: the caller loads the owner afterwards, so that what it loads is not
        expired by this commit)."""
        model = kind.model
        record = db.session.scalars(select(model).where(model.token_hash == token_hash(token))).first()
        if record is None:
            return None
        now = clock.now()
        if _ended(now, record.created_at, record.last_seen_at, *kind.limits()):
            return None
        owner_id: int = getattr(record, kind.owner.key)
        if now - record.last_seen_at >= SEEN_GRANULARITY:
            db.session.execute(
                update(model)
                .where(model.id == record.id)
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
        return owner_id


# Redis: a hash per session, opendvc:session:<kind>:<sha256> = {owner, created, seen} (POSIX
# seconds), expiring when its idle time would run out (never after its lifetime); and a set per
# owner, opendvc:owner:<kind>:<id>, of its sessions' hashes, for signing out everywhere.
# Both scripts run atomically in Redis: a sign-out in parallel is never undone by a page view.
_TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'seen', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_CLOSE_ALL = """
local ended = 0
for _, hash in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  ended = ended + redis.call('DEL', ARGV[1] .. hash)
end
redis.call('DEL', KEYS[1])
return ended
"""
PREFIX = "opendvc:"


def _ms(delta: timedelta) -> int:
    return max(int(delta.total_seconds() * 1000), 1)


def _when(value: bytes | str) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


@store("redis")
class RedisStore:
    def __init__(self, settings: Settings) -> None:
        self.redis = redis.Redis.from_url(settings.REDIS_URL, **REDIS_TIMEOUTS)
        self.touch = self.redis.register_script(_TOUCH)
        self.end_all = self.redis.register_script(_CLOSE_ALL)

    def _key(self, kind: SessionKind, hashed: str) -> str:
        return f"{PREFIX}session:{kind.name}:{hashed}"

    def _owner_key(self, kind: SessionKind, owner_id: int) -> str:
        return f"{PREFIX}owner:{kind.name}:{owner_id}"

    def open(self, kind: SessionKind, *, owner_id: int, token: str) -> None:
        """The owner's set outlives each of its sessions; the hashes of sessions that have ended
        by themselves are taken out of it on the way."""
        now = clock.now()
        idle, lifetime = kind.limits()
        hashed, owners = token_hash(token), self._owner_key(kind, owner_id)
        members = [m.decode() for m in self.redis.smembers(owners)]  # type: ignore[union-attr]
        gone = [m for m, alive in zip(members, self._exist(kind, members), strict=True) if not alive]
        with self.redis.pipeline(transaction=True) as pipe:
            key = self._key(kind, hashed)
            stamp = str(now.timestamp())
            pipe.hset(key, mapping={"owner": owner_id, "created": stamp, "seen": stamp})
            pipe.pexpire(key, _ms(min(idle, lifetime)))
            if gone:
                pipe.srem(owners, *gone)
            pipe.sadd(owners, hashed)
            pipe.pexpire(owners, _ms(lifetime))
            pipe.execute()

    def _exist(self, kind: SessionKind, hashes: list[str]) -> list[bool]:
        with self.redis.pipeline(transaction=False) as pipe:
            for hashed in hashes:
                pipe.exists(self._key(kind, hashed))
            return [bool(n) for n in pipe.execute()]

    def close(self, kind: SessionKind, *, token: str) -> None:
        hashed = token_hash(token)
        owner = self.redis.hget(self._key(kind, hashed), "owner")
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(kind, hashed))
            if owner is not None:
                pipe.srem(self._owner_key(kind, int(owner)), hashed)
            pipe.execute()

    def close_all(self, kind: SessionKind, *, owner_id: int) -> int:
        ended = self.end_all(keys=[self._owner_key(kind, owner_id)], args=[f"{PREFIX}session:{kind.name}:"])
        return int(ended)

    def owner_of(self, kind: SessionKind, *, token: str) -> int | None:
        key = self._key(kind, token_hash(token))
        owner, created, seen = self.redis.hmget(key, ["owner", "created", "seen"])
        if owner is None or created is None or seen is None:
            return None
        now = clock.now()
        idle, lifetime = kind.limits()
        began, last_seen = _when(created), _when(seen)
        if _ended(now, began, last_seen, idle, lifetime):
            return None
        if now - last_seen >= SEEN_GRANULARITY:
            left = min(idle, began + lifetime - now)
            self.touch(keys=[key], args=[str(now.timestamp()), _ms(left)])
        return int(owner)


def chosen(settings: Settings) -> str:
    return "redis" if settings.REDIS_URL else "database"


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def check_redis(settings: Settings) -> None:
    """Stop start-up, naming the setting, when the configured Redis does not answer."""
    if not settings.REDIS_URL:
        return
    try:
        redis.Redis.from_url(settings.REDIS_URL, **REDIS_TIMEOUTS).ping()
    except (redis.RedisError, ValueError) as exc:
        not_answering(
            f"{ENV_PREFIX}REDIS_URL: Redis at {_without_password(settings.REDIS_URL)} does not answer ({exc})"
        )


def init_app(app: Flask) -> None:
    """The session store the settings choose, Redis checked at once; a request that finds Redis
    gone (sessions or rate limits) gets a page saying so, with 503, rather than a crash."""
    settings: Settings = app.config["OPENDVC"]
    check_redis(settings)
    app.extensions["opendvc.sessions"] = STORES[chosen(settings)](settings)

    @app.errorhandler(redis.RedisError)
    def shared_state_unreachable(exc: redis.RedisError) -> tuple[str, int, dict[str, str]]:
        app.logger.error("Redis does not answer: %s", exc)
        message = _("The service is briefly unavailable. Wait a minute, then try again.")
        page = render_template("error.html", title=_("Service unavailable"), message=message)
        return page, 503, {"Retry-After": "30"}


def _store() -> SessionStore:
    found: SessionStore = current_app.extensions["opendvc.sessions"]
    return found


@dataclass(frozen=True)
class ServerSessions(SessionKind):
    """The sessions of one kind, in the app's store."""

    def open(self, owner_id: int) -> str:
        """A new session for the owner (kept at once); the token for the cookie."""
        token = secrets.token_urlsafe(32)
        _store().open(self, owner_id=owner_id, token=token)
        return token

    def close(self, token: object) -> None:
        if isinstance(token, str):
            _store().close(self, token=token)

    def close_all(self, owner_id: int) -> int:
        """Sign the owner out everywhere (the database store commits what the session holds
        with it: call it before the change that asks for it is committed)."""
        return _store().close_all(self, owner_id=owner_id)

    def owner_of(self, token: object) -> int | None:
        """The owner of the open session the cookie's token names, or None."""
        if not isinstance(token, str):
            return None
        return _store().owner_of(self, token=token)
