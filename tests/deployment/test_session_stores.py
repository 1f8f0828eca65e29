"""One contract for both session stores (app/serversessions.py): the database's rows, and Redis
(a real redis-server). What a staff member or an applicant notices: signed in until signing out,
everywhere at once, or until the idle time or the lifetime runs out; the token never stored."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import redis as redis_client
from flask import Flask
from sqlalchemy import func, select

from app import ConfigError, clock
from app.accounts.passwords import hash_password
from app.accounts.services import change_password
from app.extensions import db
from app.serversessions import SEEN_GRANULARITY
from app.staff.models import StaffSession
from tests.accounts import make_account
from tests.accounts import signed_in as applicant_signed_in
from tests.accounts.test_sessions import who
from tests.conftest import csrf_token, page
from tests.servers import free_ports, redis_server
from tests.staff.test_deliveries_page import PASSWORD, sign_in

IDLE, LIFETIME = timedelta(minutes=20), timedelta(hours=8)


@pytest.fixture(params=["database", "redis"])
def store_app(request: pytest.FixtureRequest, make_app) -> Flask:
    """An app whose sessions are in the parametrised store, with the staff member `lan`."""
    config: dict[str, object] = {}
    if request.param == "redis":
        server = request.getfixturevalue("redis")
        redis_client.Redis.from_url(server.url).flushdb()  # the server is shared by this process's tests
        config["REDIS_URL"] = server.url
    app = make_app(WTF_CSRF_ENABLED=True, STAFF_IDLE_MINUTES=20, STAFF_SESSION_HOURS=8, **config)
    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    return app


class Clock:
    """The portal's clock, moved forward by the test (Redis's own expiry is a clean-up behind
    the stored times, which decide)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.start = clock.now()
        self.now = self.start
        monkeypatch.setattr(clock, "now", lambda: self.now)

    def at(self, delta: timedelta) -> None:
        self.now = self.start + delta


@pytest.fixture
def moved(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def staff_browser(app: Flask):
    client = app.test_client()
    assert sign_in(client).status_code == 302
    return client


def is_in(client) -> bool:
    response = client.get("/staff/deliveries")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def copy_of(app: Flask, client):
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def token_of(app: Flask, client) -> str:
    """The session token in the browser's (signed, readable) Flask session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    held = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]
    return str(held["staff_token"])


def everything_stored(app: Flask) -> str:
    """All the store holds of the sessions, as text: the table's rows, Redis's keys and values."""
    settings = app.config["OPENDVC"]
    if settings.REDIS_URL:
        r = redis_client.Redis.from_url(settings.REDIS_URL)
        parts = []
        for key in r.scan_iter():
            parts.append(key.decode())
            kind = r.type(key)
            if kind == b"hash":
                parts += [f"{k.decode()}={v.decode()}" for k, v in r.hgetall(key).items()]
            elif kind == b"set":
                parts += [m.decode() for m in r.smembers(key)]
            else:  # a rate limit's count
                parts.append(str(r.get(key)))
        return "\n".join(parts)
    with app.app_context():
        rows = db.session.scalars(select(StaffSession)).all()
        return "\n".join(f"{r.token_hash} {r.created_at} {r.last_seen_at} {r.staff_user_id}" for r in rows)


def test_only_the_tokens_hash_is_stored(store_app):
    client = staff_browser(store_app)
    token = token_of(store_app, client)
    stored = everything_stored(store_app)
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert token not in stored


def test_the_redis_store_leaves_the_table_empty(store_app):
    staff_browser(store_app)
    with store_app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(StaffSession))
    assert rows == (0 if store_app.config["OPENDVC"].REDIS_URL else 1)


def test_signing_out_ends_the_session_wherever_the_cookie_went(store_app):
    client, other = staff_browser(store_app), staff_browser(store_app)
    thief = copy_of(store_app, client)
    assert is_in(thief)
    client.post("/staff/logout", data={"csrf_token": csrf_token(client.get("/staff/deliveries"))})
    assert not is_in(thief)
    assert not is_in(client)
    assert is_in(other)  # another session of the same member goes on


def test_signing_out_everywhere_ends_every_session_of_the_member_only(store_app):
    first, second = staff_browser(store_app), staff_browser(store_app)
    runner = store_app.test_cli_runner()
    added = runner.invoke(args=["staff", "add", "minh"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0
    colleague = store_app.test_client()
    assert sign_in(colleague, username="minh").status_code == 302
    ended = runner.invoke(args=["staff", "sign-out", "lan"])
    assert ended.output.strip() == "lan: 2 session(s) ended"
    assert not is_in(first)
    assert not is_in(second)
    assert is_in(colleague)
    again = staff_browser(store_app)  # signing in again works at once
    assert is_in(again)


def test_removing_a_member_ends_their_sessions(store_app):
    client = staff_browser(store_app)
    assert store_app.test_cli_runner().invoke(args=["staff", "remove", "lan"]).exit_code == 0
    assert not is_in(client)


def test_a_session_ends_after_its_idle_time(store_app, moved):
    client = staff_browser(store_app)
    moved.at(IDLE - timedelta(seconds=5))
    assert is_in(client)  # a request just in time: the idle time starts again from it
    moved.at(IDLE - timedelta(seconds=5) + IDLE - timedelta(seconds=5))
    assert is_in(client)
    moved.at(IDLE - timedelta(seconds=5) + IDLE - timedelta(seconds=5) + IDLE)
    assert not is_in(client)


def test_the_last_request_is_written_once_a_granularity(store_app, moved):
    """Requests closer together than SEEN_GRANULARITY write nothing: the idle time counts from
    the first of them."""
    client = staff_browser(store_app)
    moved.at(SEEN_GRANULARITY / 2)
    assert is_in(client)  # not written down
    moved.at(IDLE)
    assert not is_in(client)


def test_a_session_ends_after_its_lifetime_however_busy(store_app, moved):
    client = staff_browser(store_app)
    step, elapsed = IDLE / 2, timedelta(0)
    while elapsed + step < LIFETIME:
        elapsed += step
        moved.at(elapsed)
        assert is_in(client)
    moved.at(LIFETIME)
    assert not is_in(client)


def test_a_new_password_signs_the_applicant_out_everywhere(store_app):
    with store_app.app_context():
        account = make_account(password_hash=hash_password("một mật khẩu cũ dài"))
        account_id = account.id
    first, second = applicant_signed_in(store_app, account), applicant_signed_in(store_app, account)
    assert who(first) == account_id
    with store_app.app_context():
        change_password(db.session.merge(account), "một mật khẩu cũ dài", "một mật khẩu mới dài")
    assert who(first) is None
    assert who(second) is None


def test_a_redis_that_does_not_answer_stops_start_up(make_app):
    (port,) = free_ports(1)  # nothing listens there
    with pytest.raises(ConfigError) as refused:
        make_app(REDIS_URL=f"redis://:hunter2-secret@127.0.0.1:{port}/0")
    assert str(refused.value).startswith(
        f"OPENDVC_REDIS_URL: Redis at redis://:***@127.0.0.1:{port}/0 does not"
    )
    assert "hunter2" not in str(refused.value)  # the password is not shown


def test_a_redis_that_stops_answering_gives_a_page_saying_so(make_app, tmp_path):
    (tmp_path / "redis").mkdir()
    with redis_server(tmp_path / "redis") as server:
        app = make_app(WTF_CSRF_ENABLED=True, REDIS_URL=server.url)
        added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
        assert added.exit_code == 0
        client = staff_browser(app)
        client.get("/language/en")
        sign_in_form = {
            "csrf_token": csrf_token(client.get("/staff/login")),
            "username": "x",
            "password": "y",
        }
    looked_up = client.get("/staff/deliveries")  # the session is looked up
    counted = client.post("/staff/login", data=sign_in_form)  # an attempt is counted
    for response in (looked_up, counted):
        assert response.status_code == 503
        assert page(response).h1.get_text(strip=True) == "Service unavailable"
