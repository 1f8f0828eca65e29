"""Staff accounts and sign-in: one transaction per change. After five wrong passwords within
fifteen minutes an account refuses every attempt until fifteen minutes have passed; the count is
in the database, so it holds across processes."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum

from sqlalchemy import select
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
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if user is None:
        check_password_hash(_DUMMY, password)
        return SignIn.REFUSED, None
    now = calendar.now()
    recent = user.last_failure_at is not None and now - user.last_failure_at < LOCKOUT
    if not recent:
        user.failed_logins = 0
    if user.failed_logins >= MAX_FAILURES:
        check_password_hash(_DUMMY, password)
        return SignIn.LOCKED, None
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        user.last_failure_at = now
        db.session.commit()
        return SignIn.REFUSED, None
    user.failed_logins = 0
    user.last_failure_at = None
    db.session.commit()
    return SignIn.OK, user


def find(user_id: int | None) -> StaffUser | None:
    return db.session.get(StaffUser, user_id) if user_id else None
