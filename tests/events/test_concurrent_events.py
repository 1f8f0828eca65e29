"""Copies of one status event posted at the same moment, over real HTTP to a threaded server on
the test database (SQLite, or PostgreSQL under scripts/with-postgres): one copy applies it, the
others are answered "already applied", as an exact repeat is; never a server error, and nothing
the event brings (a history entry, a supplement request, a result) is there twice."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time

import pytest
import requests
from sqlalchemy import func, select

from app.dossiers.models import Dossier, DossierEvent
from app.extensions import db
from app.results.models import ResultDocument
from app.supplements.models import Supplement
from tests.backoffice.fixtures import DEFINITION, SECRET
from tests.conftest import TEST_CATALOG
from tests.events.test_events import event, post
from tests.factories import submitted
from tests.results.test_results import result, signed_by

COPIES = 3
ROUNDS = 3  # dossiers, each sent its copies at once: a race that slips past one round meets the next


def headers_for(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-OpenDVC-BackOffice": "filesystem",
        "X-OpenDVC-Timestamp": stamp,
        "X-OpenDVC-Signature": signature,
    }


def post_at_once(url: str, event_body: dict) -> list[tuple[int, str]]:
    """COPIES threads, each on its own open connection, post the same event when a barrier
    releases them all; their answers as (status, title)."""
    body = json.dumps(event_body).encode()
    barrier = threading.Barrier(COPIES)
    answers: list[tuple[int, str]] = []

    def one() -> None:
        with requests.Session() as session:
            session.get(f"{url}/healthz", timeout=120)  # connected before the race starts
            barrier.wait(timeout=120)
            answer = session.post(
                f"{url}/api/v1/backoffice/events", data=body, headers=headers_for(body), timeout=120
            )
        is_json = answer.headers.get("Content-Type", "").startswith("application/json")
        answers.append((answer.status_code, answer.json()["title"] if is_json else answer.text[:80]))

    threads = [threading.Thread(target=one) for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return sorted(answers)


def counts(app, code: str) -> tuple[str, int, int, int]:
    """The dossier's status, and how many history entries, supplement requests and results."""
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        count = func.count()
        return (
            dossier.status,
            db.session.scalar(select(count).where(DossierEvent.dossier_id == dossier.id)),
            db.session.scalar(select(count).where(Supplement.dossier_id == dossier.id)),
            db.session.scalar(select(count).where(ResultDocument.dossier_id == dossier.id)),
        )


# What comes before the raced event, and the raced event: (status, with a signed result).
KINDS = {
    "accepted": ((), (2, False)),
    "supplement requested": ((2,), (5, False)),
    "result returned": ((2, 4, 9), (10, True)),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_copies_of_an_event_posted_at_once_apply_once(live_server, citizen_key, pki, kind):
    server = live_server(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET})
    before, (status, with_result) = KINDS[kind]
    client = server.app.test_client()
    for _ in range(ROUNDS):
        code = submitted(server.app, DEFINITION, citizen_key)
        for sequence, earlier in enumerate(before, 1):
            assert post(client, event(code, sequence, earlier)).json["title"] == "applied"
        raced = event(code, len(before) + 1, status, "Đồng thời")
        if with_result:
            raced["results"] = [result(signed_by(pki, "agency"))]
        status_before, history_before, _, _ = counts(server.app, code)

        answers = post_at_once(server.url, raced)

        assert answers == [(200, "already applied")] * (COPIES - 1) + [(200, "applied")]
        assert counts(server.app, code)[1:] == (
            history_before + 1,  # one entry, not one per copy
            1 if status == 5 else 0,  # one supplement request (BS1)
            1 if with_result else 0,  # one result (KQ1)
        )
        assert counts(server.app, code)[0] != status_before
