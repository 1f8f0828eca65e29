"""Accounts for the tests: made in the database, and a test client signed in as one through a
real server-side session (app.accounts.sessions.open_session)."""

from __future__ import annotations

import re
from email.message import Message
from itertools import count
from typing import Any

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

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


# Through the real pages: registering, the link received by the real SMTP server, signing in.
LINK = re.compile(r"https?://[^/\s]+(/account/(?:verify|reset)/[\w-]+)")
PASSWORD = "một mật khẩu dài"


def form_of(client: FlaskClient, path: str) -> dict[str, str]:
    """The CSRF token of the form at `path`, as a browser would send it back."""
    found = BeautifulSoup(client.get(path).text, "html.parser").find("input", attrs={"name": "csrf_token"})
    assert found is not None, f"{path} has no CSRF token"
    return {"csrf_token": str(found["value"])}


def link_in(message: Message) -> str:
    """The path of the account link a mail carries."""
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())  # type: ignore[attr-defined]
    assert found is not None, "no account link in the mail"
    return found[1]


def register(client: FlaskClient, identifier: str, password: str = PASSWORD, **extra: str) -> TestResponse:
    data = {
        "identifier": identifier,
        "password": password,
        "name": "Nguyễn Thị Hoa",
        "kind": "citizen",
        **extra,
    }
    return client.post("/account/register", data={**form_of(client, "/account/register"), **data})


def confirm(client: FlaskClient, path: str, password: str = PASSWORD) -> TestResponse:
    """Open a confirmation link and confirm with the account's password."""
    return client.post(path, data={**form_of(client, path), "password": password})


def sign_in(client: FlaskClient, identifier: str, password: str = PASSWORD) -> TestResponse:
    data = {**form_of(client, "/account/sign-in"), "identifier": identifier, "password": password}
    return client.post("/account/sign-in", data=data)


def registered(client: FlaskClient, mail_server: Any, email: str, password: str = PASSWORD) -> TestResponse:
    """Register `email`, open the link of the mail the SMTP server received, then sign in."""
    assert register(client, email, password).status_code == 200
    mail_server.next_received()
    assert confirm(client, link_in(mail_server.to(email)[-1]), password).status_code == 302
    return sign_in(client, email, password)
