"""Staff accounts, sign-in and sessions: one transaction per change. Five wrong passwords, each
less than fifteen minutes after the one before, lock an account: it refuses every attempt, the
right password too, until fifteen minutes after the last. The count is in the account's row, so it
holds across processes and machines.

A session lives on the server (`StaffSession` rows, or Redis: app/serversessions.py): signing
out, removing the account or `staff sign-out NAME` ends it, and a copy of the cookie opens
nothing any more. It ends by itself after OPENDVC_STAFF_IDLE_MINUTES without a request, and
OPENDVC_STAFF_SESSION_HOURS after sign-in whatever the activity."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Executable, case, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app import clock
from app.extensions import db
from app.serversessions import ServerSessions
from app.staff.models import StaffSession, StaffUser

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 12
# Checked when the name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY = generate_password_hash("not a password of anyone")


class SignIn(Enum):
    OK = "ok"
    REFUSED = "refused"
    LOCKED = "locked"


class StaffError(ValueError):
    pass


def add(username: str, password: str) -> StaffUser:
    username = username.strip()
    if not username or len(username) > 64:
        raise StaffError("the name must have 1 to 64 characters")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password must have at least {MIN_PASSWORD} characters")
    if db.session.scalar(select(StaffUser).where(StaffUser.username == username)):
        raise StaffError(f"{username} exists already")
    user = StaffUser(username=username, password_hash=generate_password_hash(password), failed_logins=0)
    db.session.add(user)
    db.session.commit()
    return user


def _rows_changed(statement: Executable) -> int:
    """The rows an UPDATE or DELETE changed; SQLAlchemy types its result as any statement's."""
    return cast("CursorResult[Any]", db.session.execute(statement)).rowcount


def remove(username: str) -> bool:
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        return False
    db.session.delete(user)
    SESSIONS.close_all(user.id)  # commits the deletion with it, on the database store
    db.session.commit()
    return True


def sign_out_everywhere(username: str) -> int | None:
    """End every session of an account (a lost laptop, a copied cookie); None: no such account."""
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        return None
    return SESSIONS.close_all(user.id)


def sign_in(username: str, password: str) -> tuple[SignIn, StaffUser | None]:
    """Check a name and password. The attempt is counted before the password is checked, in one
    conditional UPDATE, so that parallel guesses in several processes cannot get past the limit."""
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if user is None:
        check_password_hash(_DUMMY, password)
        return SignIn.REFUSED, None
    stored, now = user.password_hash, clock.now()
    stale = StaffUser.last_failure_at.is_(None) | (StaffUser.last_failure_at <= now - LOCKOUT)
    counted = _rows_changed(
        update(StaffUser)
        .where(StaffUser.id == user.id, stale | (StaffUser.failed_logins < MAX_FAILURES))
        .values(
            failed_logins=case((stale, 1), else_=StaffUser.failed_logins + 1),
            last_failure_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if not counted:
        check_password_hash(_DUMMY, password)
        return SignIn.LOCKED, None
    if not check_password_hash(stored, password):
        return SignIn.REFUSED, None
    db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(failed_logins=0, last_failure_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return SignIn.OK, user


def _limits() -> tuple[timedelta, timedelta]:
    settings = current_app.config["OPENDVC"]
    return timedelta(minutes=settings.STAFF_IDLE_MINUTES), timedelta(hours=settings.STAFF_SESSION_HOURS)


SESSIONS = ServerSessions("staff", StaffSession, StaffSession.staff_user_id, _limits)


def open_session(user: StaffUser) -> str:
    """A new session for `user`; the token for the cookie (the server keeps only its hash)."""
    return SESSIONS.open(user.id)


def close_session(token: object) -> None:
    SESSIONS.close(token)


def current(token: object) -> StaffUser | None:
    """The staff member whose open session the cookie's token names, or None."""
    user_id = SESSIONS.owner_of(token)
    return db.session.get(StaffUser, user_id) if user_id is not None else None
