"""Staff sessions live on the server: signing out, removing the account or `staff sign-out`
ends them wherever the cookie went, and they end by themselves when left idle."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from app.staff.models import StaffSession
from tests.conftest import csrf_token
from tests.staff.test_deliveries_page import PASSWORD, sign_in


@pytest.fixture
def staff_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True, STAFF_IDLE_MINUTES=20, STAFF_SESSION_HOURS=8)
    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    return app


def signed_in(app):
    client = app.test_client()
    assert sign_in(client).status_code == 302
    assert client.get("/staff/deliveries").status_code == 200
    return client


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie (stolen, or kept)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def backdate(app, **ago: timedelta) -> None:
    """Move the sessions' clock back: as if their last request, or sign-in, was `ago`."""
    with app.app_context():
        now = clock.now()
        for record in db.session.scalars(db.select(StaffSession)):
            for column, delta in ago.items():
                setattr(record, column, now - delta)
        db.session.commit()


def test_a_copied_cookie_opens_nothing_after_sign_out(staff_app):
    client = signed_in(staff_app)
    thief = copy_of(staff_app, client)
    assert thief.get("/staff/deliveries").status_code == 200  # the copy works while signed in
    listing = client.get("/staff/deliveries")
    client.post("/staff/logout", data={"csrf_token": csrf_token(listing)})
    refused = thief.get("/staff/deliveries")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/staff/login")


def test_a_copied_cookie_opens_nothing_once_the_account_is_removed(staff_app):
    client = signed_in(staff_app)
    thief = copy_of(staff_app, client)
    runner = staff_app.test_cli_runner()
    assert runner.invoke(args=["staff", "remove", "lan"]).exit_code == 0
    assert runner.invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0
    assert thief.get("/staff/deliveries").status_code == 302  # not even for a new "lan"
    assert client.get("/staff/deliveries").status_code == 302


def test_an_operator_ends_every_session_of_an_account(staff_app):
    laptop, phone = signed_in(staff_app), signed_in(staff_app)
    ended = staff_app.test_cli_runner().invoke(args=["staff", "sign-out", "lan"])
    assert ended.exit_code == 0, ended.output
    assert "2 session(s) ended" in ended.output
    assert laptop.get("/staff/deliveries").status_code == 302
    assert phone.get("/staff/deliveries").status_code == 302
    assert staff_app.test_cli_runner().invoke(args=["staff", "sign-out", "nobody"]).exit_code != 0


def test_a_session_left_idle_ends(staff_app):
    client = signed_in(staff_app)
    backdate(staff_app, last_seen_at=timedelta(minutes=19, seconds=50))
    assert client.get("/staff/deliveries").status_code == 200  # within the 20 minutes: still open
    backdate(staff_app, last_seen_at=timedelta(minutes=20, seconds=1))
    assert client.get("/staff/deliveries").status_code == 302


def test_using_a_session_keeps_it_open(staff_app):
    client = signed_in(staff_app)
    for _ in range(3):  # a request every 15 minutes for 45 minutes, with a 20-minute idle limit
        backdate(staff_app, last_seen_at=timedelta(minutes=15))
        assert client.get("/staff/deliveries").status_code == 200


def test_a_session_ends_after_its_lifetime_however_busy(staff_app):
    client = signed_in(staff_app)
    backdate(staff_app, created_at=timedelta(hours=8, seconds=1), last_seen_at=timedelta(seconds=5))
    assert client.get("/staff/deliveries").status_code == 302


def test_the_server_keeps_no_usable_token(staff_app):
    """A copy of the database does not give anyone a session: only the token's hash is kept."""
    client = signed_in(staff_app)
    with client.session_transaction() as session:
        token = session["staff_token"]
    with staff_app.app_context():
        stored = db.session.scalars(db.select(StaffSession.token_hash)).all()
    assert len(stored) == 1
    assert token not in stored[0]
    forged = staff_app.test_client()
    with forged.session_transaction() as session:
        session["staff_token"] = stored[0]
    assert forged.get("/staff/deliveries").status_code == 302


def test_signing_in_again_ends_the_session_before(staff_app):
    client = signed_in(staff_app)
    old = copy_of(staff_app, client)
    assert sign_in(client).status_code == 302
    assert client.get("/staff/deliveries").status_code == 200
    assert old.get("/staff/deliveries").status_code == 302


def test_ended_sessions_are_cleared_away(staff_app):
    signed_in(staff_app)
    backdate(staff_app, last_seen_at=timedelta(hours=1))
    signed_in(staff_app)
    with staff_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(StaffSession)) == 1
