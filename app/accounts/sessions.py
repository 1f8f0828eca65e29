"""Who is signed in: the account whose open session the browser's cookie names.

The Flask session (signed, not secret) keeps only a random token; the server keeps its sha256
in `account_sessions`. A session ends after ACCOUNT_IDLE_MINUTES without a request and in any
case ACCOUNT_SESSION_HOURS after sign-in."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, session
from sqlalchemy import delete, select, update

from app import clock
from app.accounts.models import Account, AccountSession
from app.extensions import db

SESSION_KEY = "account"
SEEN_GRANULARITY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limits() -> tuple[timedelta, timedelta]:
    settings = current_app.config["OPENDVC"]
    return timedelta(minutes=settings.ACCOUNT_IDLE_MINUTES), timedelta(hours=settings.ACCOUNT_SESSION_HOURS)


def open_session(account: Account) -> str:
    """A new session for `account` (committed); the token for the cookie. Sessions that have
    ended by themselves, anyone's, are deleted on the way."""
    now = clock.now()
    idle, lifetime = _limits()
    db.session.execute(
        delete(AccountSession).where(
            (AccountSession.last_seen_at <= now - idle) | (AccountSession.created_at <= now - lifetime)
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountSession(token_hash=_hash(token), account_id=account.id, created_at=now, last_seen_at=now)
    )
    db.session.commit()
    return token


def sign_in(account: Account) -> None:
    """Sign this browser in as `account`: a new session, and a fresh Flask session (what the
    browser held before, dossier secrets included, is kept; the token is new)."""
    session[SESSION_KEY] = open_session(account)
    session.permanent = True
    g.pop("account", None)


def sign_out() -> None:
    """End this browser's session (on the server too)."""
    token = session.pop(SESSION_KEY, None)
    if isinstance(token, str):
        db.session.execute(delete(AccountSession).where(AccountSession.token_hash == _hash(token)))
        db.session.commit()
    g.pop("account", None)


def sign_out_everywhere(account: Account) -> None:
    """End every session of `account`, this browser's included."""
    db.session.execute(delete(AccountSession).where(AccountSession.account_id == account.id))
    db.session.commit()
    session.pop(SESSION_KEY, None)
    g.pop("account", None)


def _open(record: AccountSession, now: datetime) -> bool:
    idle, lifetime = _limits()
    return now - record.last_seen_at < idle and now - record.created_at < lifetime


def _lookup(token: object) -> Account | None:
    if not isinstance(token, str):
        return None
    found = db.session.execute(
        select(AccountSession, Account)
        .join(Account, Account.id == AccountSession.account_id)
        .where(AccountSession.token_hash == _hash(token))
    ).first()
    if found is None:
        return None
    record, account = found
    now = clock.now()
    if not _open(record, now):
        return None
    if now - record.last_seen_at >= SEEN_GRANULARITY:
        db.session.execute(
            update(AccountSession)
            .where(AccountSession.id == record.id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        # The commit expired the account: loaded again now, it stays readable for the whole
        # request and after it (templates ask for it on every page).
        db.session.refresh(account)
    return account


def current_account() -> Account | None:
    """The signed-in applicant of this request, or None (looked up once per request)."""
    if "account" not in g:
        g.account = _lookup(session.get(SESSION_KEY))
    account: Account | None = g.account
    return account
