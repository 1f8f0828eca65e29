"""Every API error is a problem document (JSON) with the status of the answer; a 405 names the
allowed methods; a hostile body is a 400, never a server error."""

from __future__ import annotations

import pytest

from tests.hostile import NESTED_BRACKETS, NESTED_IN_AN_OBJECT


def is_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.json["status"] == status
    assert response.json["title"]
    return response.json


@pytest.mark.parametrize("step", ["prepare", "complete"])
@pytest.mark.parametrize("body", [NESTED_BRACKETS, NESTED_IN_AN_OBJECT], ids=["brackets", "in-an-object"])
def test_nested_brackets_to_the_signing_api_are_a_400(client, step, body):
    url = f"/api/v1/signing/no-such-session/{step}"
    is_problem(client.post(url, data=body, content_type="application/json"), 400)


@pytest.mark.parametrize(
    ("step", "body"),
    [
        ("prepare", b'{"certificate": 12}'),
        ("prepare", b'{"certificate": "AAAA", "chain": "AAAA"}'),
        ("prepare", b'{"certificate": "AAAA", "extra": 1}'),
        ("complete", b'{"signature": ["AAAA"]}'),
        ("complete", b"not json"),
        ("complete", b"[]"),
    ],
)
def test_bodies_of_the_wrong_shape_are_a_400(client, step, body):
    url = f"/api/v1/signing/no-such-session/{step}"
    is_problem(client.post(url, data=body, content_type="application/json"), 400)


def test_an_unknown_api_address_is_a_json_404(client):
    is_problem(client.get("/api/v1/no-such-thing"), 404)
    is_problem(client.get("/api/v2/procedures"), 404)


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("post", "/api/v1/procedures", {"GET", "HEAD", "OPTIONS"}),
        ("delete", "/api/v1/procedures/1.004261", {"GET", "HEAD", "OPTIONS"}),
        ("get", "/api/v1/signing/abc/prepare", {"POST", "OPTIONS"}),
        ("put", "/api/v1/signing/abc/complete", {"POST", "OPTIONS"}),
        ("get", "/api/v1/backoffice/events", {"POST", "OPTIONS"}),
    ],
)
def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(client, method, url, allowed):
    response = getattr(client, method)(url)
    is_problem(response, 405)
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


def test_a_wrong_method_on_a_page_names_the_allowed_ones_too(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}


def test_a_body_over_the_limit_is_a_json_413(client):
    response = client.post(
        "/api/v1/signing/abc/prepare", data=b"{" + b" " * 300_000 + b"}", content_type="application/json"
    )
    is_problem(response, 413)


def test_a_body_over_the_portals_limit_is_a_json_413_too(make_app):
    client = make_app(DOSSIER_MAX_TOTAL_MB=1).test_client()
    body = b" " * (29 * 1024 * 1024)
    response = client.post("/api/v1/backoffice/events", data=body, content_type="application/json")
    is_problem(response, 413)


def test_pages_stay_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
