"""Server-side applicant sessions: signed in, signed out, everywhere."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app import clock
from app.accounts.models import AccountSession
from app.accounts.sessions import current_account, sign_out_everywhere
from app.extensions import db
from tests.accounts import make_account, signed_in


def who(client) -> int | None:
    with client:
        client.get("/")
        found = current_account()
        return found.id if found else None


def test_a_signed_in_browser_is_its_account_and_others_are_not(app):
    with app.app_context():
        account = make_account()
        account_id = account.id
    browser = signed_in(app, account)
    assert who(browser) == account_id
    assert who(app.test_client()) is None


def test_signing_out_everywhere_ends_every_session(app):
    with app.app_context():
        account = make_account()
    first, second = signed_in(app, account), signed_in(app, account)
    with first:
        first.get("/")
        sign_out_everywhere(db.session.merge(account))
    assert who(first) is None
    assert who(second) is None


def test_a_session_ends_after_its_idle_time(app):
    with app.app_context():
        account = make_account()
    browser = signed_in(app, account)
    idle = timedelta(minutes=app.config["OPENDVC"].ACCOUNT_IDLE_MINUTES)
    with app.app_context():
        db.session.execute(
            update(AccountSession).values(last_seen_at=clock.now() - idle + timedelta(seconds=5))
        )
        db.session.commit()
    assert who(browser) is not None  # still open: just under the idle time
    with app.app_context():
        db.session.execute(update(AccountSession).values(last_seen_at=clock.now() - idle))
        db.session.commit()
    assert who(browser) is None
