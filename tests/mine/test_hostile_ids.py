"""Identifiers in a route that no row can have are not found, never a server error: a number
beyond what a database id holds (SQLite overflows past 64 bits), a dossier address with a NUL
(PostgreSQL refuses NUL in text) or longer than its column. Every route of the app with such an
argument is requested, by every method it allows, signed in as staff with a valid CSRF token,
so that a new route is covered the day it is added."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import Rule

from tests.conftest import TEST_CATALOG, csrf_token
from tests.staff.test_deliveries_page import PASSWORD, sign_in

HUGE = ["9" * 30, str(2**63), str(2**64)]
ADDRESSES = ["abc\x00", "A" * 15 + "\x00", "A" * 40, "abc%00"]


@pytest.fixture
def staff(make_app):
    app = make_app(CATALOG_DIR=TEST_CATALOG, WTF_CSRF_ENABLED=True, PAYMENT_PROVIDERS=["demo"])
    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    client = app.test_client()
    sign_in(client)
    return app, client, csrf_token(client.get("/staff/payments"))


def _requests(rule: Rule, values: dict[str, str]) -> list[tuple[str, str]]:
    path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: values[m.group(1)], rule.rule)
    return [(method, path) for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]


def _ask(client, token: str, method: str, path: str) -> int:
    if method == "GET":
        return client.get(path).status_code
    return client.open(path, method=method, data={"csrf_token": token}).status_code


def _int_rules(app) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if any(f"<int:{a}>" in r.rule for a in r.arguments)]


@pytest.mark.parametrize("number", HUGE)
def test_every_route_with_a_number_beyond_an_id_is_not_found(staff, number):
    app, client, token = staff
    rules = _int_rules(app)
    assert {"staff.resend", "staff.payment_check", "staff.payment_refund"} <= {r.endpoint for r in rules}
    answered = {}
    for rule in rules:
        values = dict.fromkeys(rule.arguments, number)
        values |= {a: "x" * 16 for a in rule.arguments if f"<int:{a}>" not in rule.rule}
        for method, path in _requests(rule, values):
            answered[f"{method} {path}"] = _ask(client, token, method, path)
    assert set(answered.values()) == {404}, answered


@pytest.mark.parametrize("address", ADDRESSES)
def test_every_dossier_route_with_an_address_no_dossier_can_have_is_not_found(staff, address):
    app, client, token = staff
    rules = [r for r in app.url_map.iter_rules() if "public_id" in r.arguments]
    assert len(rules) > 10
    answered = {}
    for rule in rules:
        values = {a: "1" if f"<int:{a}>" in rule.rule else "x" for a in rule.arguments}
        values["public_id"] = address
        for method, path in _requests(rule, values):
            answered[f"{method} {path!r}"] = _ask(client, token, method, path)
    # 308: the route's address without its final slash, sent to the one with it (not looked up).
    assert set(answered.values()) <= {404, 308}, answered
    assert 404 in answered.values()
