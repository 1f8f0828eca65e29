"""The events API takes JSON as typed: a number in a string, a float or a boolean is not an
integer; a body nested past any stack, a NUL in a text or a sequence past the column's range is
refused as malformed (400, JSON), and nothing changes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from tests.backoffice.fixtures import SECRET
from tests.events.test_events import event, history, post
from tests.hostile import NESTED_BRACKETS


def post_bytes(client, body: bytes):
    stamp = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/backoffice/events",
        data=body,
        content_type="application/json",
        headers={
            "X-OpenDVC-BackOffice": "filesystem",
            "X-OpenDVC-Timestamp": stamp,
            "X-OpenDVC-Signature": signature,
        },
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sequence", "1"),
        ("sequence", 1.0),
        ("sequence", True),
        ("sequence", 2**31),
        ("status", True),
        ("status", "2"),
        ("status", 2.0),
        ("dossier_code", 1),
        ("event_id", "evt-\x00-0001"),
        ("note", "Hồ sơ\x00hợp lệ"),
    ],
    ids=repr,
)
def test_values_of_the_wrong_type_are_refused(tracked, key, value):
    app, client, code, _ = tracked
    before = history(app)
    response = post(client, event(code, 1, 2) | {key: value})
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.json["status"] == 400
    assert response.json["title"].startswith(f"invalid event: {key}")
    assert history(app) == before
    assert post(client, event(code, 1, 2)).json["title"] == "applied"  # the good one still applies


@pytest.mark.parametrize("body", [NESTED_BRACKETS, b'{"note": ' + NESTED_BRACKETS + b"}", b"\xff\xfe{"])
def test_bodies_that_are_not_json_are_refused(tracked, body):
    app, client, _code, _ = tracked
    before = history(app)
    response = post_bytes(client, body)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.json["status"] == 400
    assert history(app) == before


def test_the_events_limit_holds_where_the_dossiers_budget_is_smaller(make_app):
    """28 MB (ten result PDFs, base64) is the events API's own limit, whatever the upload budget."""
    app = make_app(DOSSIER_MAX_TOTAL_MB=1, BACKOFFICE_SECRETS={"filesystem": SECRET})
    body = json.dumps(event("000.00.01.H22-261201-0001", 1, 2)).encode() + b" " * (3 * 1024 * 1024)
    response = post_bytes(app.test_client(), body)
    assert response.status_code == 404
    assert response.json == {"title": "no dossier has this code", "status": 404}
