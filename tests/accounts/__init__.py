"""Accounts for the tests: made in the database, and a test client signed in as one through a
real server-side session (app.accounts.sessions.open_session)."""

from __future__ import annotations

from itertools import count

from flask import Flask
from flask.testing import FlaskClient

from app.accounts.models import Account
from app.accounts.sessions import SESSION_KEY, open_session
from app.extensions import db

_numbers = count(1)


def make_account(**particulars: object) -> Account:
    """A committed account; a citizen with a verified email unless told otherwise."""
    n = next(_numbers)
    values: dict[str, object] = {
        "kind": "citizen",
        "email": f"applicant{n}@example.vn",
        "name": f"Nguyễn Văn {n}",
        "personal_id": f"0010900{n:05d}",
        "verified": [],
        "locale": "vi",
        **particulars,
    }
    account = Account(**values)
    db.session.add(account)
    db.session.commit()
    return account


def signed_in(app: Flask, account: Account) -> FlaskClient:
    """A new test client whose browser is signed in as `account`."""
    client = app.test_client()
    with app.app_context():
        token = open_session(db.session.merge(account))
    with client.session_transaction() as held:
        held[SESSION_KEY] = token
    return client
