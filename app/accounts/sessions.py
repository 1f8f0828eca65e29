"""Who is signed in: the account whose open session the browser's cookie names.

The Flask session (signed, not secret) keeps only a random token; the server keeps its sha256
in `account_sessions`, or in Redis (app/serversessions.py). A session ends after
ACCOUNT_IDLE_MINUTES without a request and in any case ACCOUNT_SESSION_HOURS after sign-in."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, session

from app.accounts.models import Account, AccountSession
from app.extensions import db
from app.serversessions import ServerSessions

SESSION_KEY = "account"


def _limits() -> tuple[timedelta, timedelta]:
    settings = current_app.config["OPENDVC"]
    return timedelta(minutes=settings.ACCOUNT_IDLE_MINUTES), timedelta(hours=settings.ACCOUNT_SESSION_HOURS)


SESSIONS = ServerSessions("account", AccountSession, AccountSession.account_id, _limits)


def open_session(account: Account) -> str:
    """A new session for `account` (committed); the token for the cookie."""
    return SESSIONS.open(account.id)


def sign_in(account: Account) -> None:
    """Sign this browser in as `account`: a new session, and a fresh Flask session (what the
    browser held before, dossier secrets included, is kept; the token is new)."""
    session[SESSION_KEY] = open_session(account)
    session.permanent = True
    g.pop("account", None)


def sign_out() -> None:
    """End this browser's session (on the server too), and forget what the browser held with it
    (the secrets of dossiers it reached): on a shared computer the next person finds nothing. Only
    the language stays."""
    SESSIONS.close(session.pop(SESSION_KEY, None))
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    g.pop("account", None)


def sign_out_everywhere(account: Account) -> None:
    """End every session of `account`, this browser's included."""
    SESSIONS.close_all(account.id)
    session.pop(SESSION_KEY, None)
    g.pop("account", None)


def _lookup(token: object) -> Account | None:
    account_id = SESSIONS.owner_of(token)
    return db.session.get(Account, account_id) if account_id is not None else None


def current_account() -> Account | None:
    """The signed-in applicant of this request, or None (looked up once per request)."""
    if "account" not in g:
        g.account = _lookup(session.get(SESSION_KEY))
    account: Account | None = g.account
    return account
