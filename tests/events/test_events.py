"""Status events from the back office: forged, stale, replayed, out-of-order and forbidden
events are refused and change nothing; good ones show on the applicant's tracking page."""

from __future__ import annotations

import time

import pytest

from app.dossiers.models import DossierEvent
from app.extensions import db
from tests.conftest import page
from tests.events import post_event

post = post_event  # signed as a back office signs its events (tests/events/__init__.py)


def event(code: str, sequence: int, status: int, note: str | None = None) -> dict:
    return {
        "event_id": f"evt-{code}-{sequence}",
        "dossier_code": code,
        "sequence": sequence,
        "status": status,
        "note": note,
    }


def history(app) -> list[tuple[str | None, str, str]]:
    with app.app_context():
        rows = db.session.scalars(db.select(DossierEvent).order_by(DossierEvent.id))
        return [(r.from_status, r.to_status, r.actor) for r in rows]


def test_good_events_are_applied_in_order_and_shown(tracked):
    app, client, code, status_url = tracked
    assert post(client, event(code, 1, 2, "Hồ sơ hợp lệ")).json["title"] == "applied"
    assert post(client, event(code, 2, 4)).json["title"] == "applied"
    assert history(app)[-2:] == [("new", "accepted", "backoffice"), ("accepted", "processing", "backoffice")]
    doc = page(client.get(status_url))
    assert doc.select_one(".status strong").get_text(strip=True) == "Being processed"
    assert "Accepted: Hồ sơ hợp lệ" in doc.select_one(".history").get_text(" ", strip=True)


@pytest.mark.parametrize(
    ("how", "status"),
    [
        ({"secret": "not the secret"}, 401),
        ({"stamp": int(time.time()) - 3600}, 401),
        ({"name": "http"}, 401),  # no secret configured for it
        # A genuine back office, but not the one this dossier was sent to: a stranger to it.
        ({"name": "failing", "secret": "another back office"}, 404),
    ],
)
def test_forged_or_stale_events_are_refused(tracked, how, status):
    app, client, code, _ = tracked
    before = history(app)
    assert post(client, event(code, 1, 2), **how).status_code == status
    assert history(app) == before


def test_replays_change_nothing(tracked):
    app, client, code, _ = tracked
    post(client, event(code, 1, 2))
    before = history(app)
    replay = post(client, event(code, 1, 2))
    assert (replay.status_code, replay.json["title"]) == (200, "already applied")
    same_sequence = post(client, {**event(code, 1, 2), "event_id": "another-id-1"})
    assert same_sequence.json["title"] == "already applied"
    assert history(app) == before


def test_out_of_order_and_forbidden_events_are_refused(tracked):
    app, client, code, _ = tracked
    before = history(app)
    gap = post(client, event(code, 2, 4))
    assert gap.status_code == 409
    assert "out of order" in gap.json["title"]
    forbidden = post(client, event(code, 1, 10))  # new → result returned: not allowed
    assert forbidden.status_code == 409
    assert "not allowed" in forbidden.json["title"]
    assert post(client, {"dossier_code": code}).status_code == 400
    assert post(client, event("000.00.99.G09-000000-0000", 1, 2)).status_code == 404
    assert history(app) == before


def test_an_oversized_event_is_refused_unread(tracked):
    _app, client, _code, _ = tracked
    response = client.post(
        "/api/v1/backoffice/events",
        data=b"{" + b" " * (29 * 1024 * 1024) + b"}",
        content_type="application/json",
    )
    assert response.status_code == 413


def test_another_back_office_learns_nothing_of_a_dossiers_events(tracked):
    """A known event id, sent by a back office the dossier was not delivered to: a stranger's
    404, not the 'already applied' that would tell it the event exists."""
    _app, client, code, _ = tracked
    assert post(client, event(code, 1, 2)).json["title"] == "applied"
    answer = post(client, event(code, 1, 2), secret="another back office", name="failing")
    assert answer.status_code == 404
