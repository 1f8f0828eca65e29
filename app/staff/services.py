"""Staff accounts and sign-in: one transaction per change. Five wrong passwords, each less than
fifteen minutes after the one before, lock an account: it refuses every attempt, the right
password too, until fifteen minutes after the last. The count is in the account's row, so it holds
across processes and machines."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from enum import Enum

from flask import current_app
from sqlalchemy import case, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.dossiers import calendar
from app.extensions import db
from app.staff.models import StaffUser

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


def remove(username: str) -> bool:
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        return False
    db.session.delete(user)
    db.session.commit()
    return True


def sign_in(username: str, password: str) -> tuple[SignIn, StaffUser | None]:
    """Check a name and password. The attempt is counted before the password is checked, in one
    conditional UPDATE, so that parallel guesses in several processes cannot get past the limit."""
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if user is None:
        check_password_hash(_DUMMY, password)
        return SignIn.REFUSED, None
    stored, now = user.password_hash, calendar.now()
    stale = StaffUser.last_failure_at.is_(None) | (StaffUser.last_failure_at <= now - LOCKOUT)
    counted = db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id, stale | (StaffUser.failed_logins < MAX_FAILURES))
        .values(
            failed_logins=case((stale, 1), else_=StaffUser.failed_logins + 1),
            last_failure_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
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


def fingerprint(user: StaffUser) -> str:
    """Kept in the session beside the account's id: removing an account (or a new one taking its
    id, as SQLite may give it) ends the sessions opened with it. The session cookie is signed,
    not encrypted, so it holds an HMAC of the hash, never the hash."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()


def find(user_id: object, check: object) -> StaffUser | None:
    """The staff member a session names, if the session still matches the account."""
    if not isinstance(user_id, int) or not isinstance(check, str):
        return None
    user = db.session.get(StaffUser, user_id)
    if user is None or not hmac.compare_digest(fingerprint(user), check):
        return None
    return user
