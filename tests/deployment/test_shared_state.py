"""Two app instances on one Redis (as two gunicorn workers or two machines would be): a rate
limit counts the attempts made on both, in Redis, and a session opened on one is open on the
other. (The instances of one process share Flask-Limiter's one storage object whatever it is:
where the counts live is asserted on Redis itself; tests/deployment/test_nodes.py has processes.)"""

from __future__ import annotations

import pytest
import redis as redis_client

from tests.conftest import csrf_token
from tests.staff.test_deliveries_page import PASSWORD, sign_in

SIGN_IN_LIMIT = 10  # app/staff/views.py: attempts per minute and client address


@pytest.fixture
def fresh_redis(redis):
    redis_client.Redis.from_url(redis.url).flushdb()  # the server is shared by this process's tests
    return redis


def attempts_until_refused(apps) -> int:
    """Wrong sign-ins, alternating between the apps, until one is refused: how many were heard."""
    clients = [app.test_client() for app in apps]
    forms = [
        {"csrf_token": csrf_token(c.get("/staff/login")), "username": "nobody", "password": "x"}
        for c in clients
    ]
    for n in range(4 * SIGN_IN_LIMIT):
        response = clients[n % 2].post("/staff/login", data=forms[n % 2])
        if response.status_code == 429:
            return n
        assert response.status_code == 401
    return 4 * SIGN_IN_LIMIT


def counted_in_redis(url: str) -> list[int]:
    r = redis_client.Redis.from_url(url)
    return [int(r.get(key) or 0) for key in r.scan_iter("LIMITS:LIMITER/*/staff.sign_in/*")]


def test_a_rate_limit_counts_across_instances_in_redis(make_app, fresh_redis):
    apps = [make_app(WTF_CSRF_ENABLED=True, REDIS_URL=fresh_redis.url) for _ in range(2)]
    assert attempts_until_refused(apps) == SIGN_IN_LIMIT
    assert counted_in_redis(fresh_redis.url) == [SIGN_IN_LIMIT + 1]  # the refused attempt too


def test_a_rate_limit_storage_set_explicitly_wins(make_app, fresh_redis):
    """RATE_LIMIT_STORAGE=memory:// with REDIS_URL: the counts stay in the process."""
    apps = [
        make_app(WTF_CSRF_ENABLED=True, REDIS_URL=fresh_redis.url, RATE_LIMIT_STORAGE="memory://")
        for _ in range(2)
    ]
    assert attempts_until_refused(apps) == SIGN_IN_LIMIT
    assert counted_in_redis(fresh_redis.url) == []


def test_a_session_opened_on_one_instance_is_open_on_the_other(make_app, fresh_redis):
    first, second = (make_app(WTF_CSRF_ENABLED=True, REDIS_URL=fresh_redis.url) for _ in range(2))
    added = first.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0
    browser = first.test_client()
    assert sign_in(browser).status_code == 302
    elsewhere = second.test_client()
    cookie = browser.get_cookie("session")
    assert cookie is not None
    elsewhere.set_cookie("session", cookie.value)  # the same browser, its next request on the other
    assert elsewhere.get("/staff/deliveries").status_code == 200
    assert list(redis_client.Redis.from_url(fresh_redis.url).scan_iter("opendvc:session:staff:*"))
    elsewhere.post("/staff/logout", data={"csrf_token": csrf_token(elsewhere.get("/staff/deliveries"))})
    assert browser.get("/staff/deliveries").status_code == 302  # signed out on both
