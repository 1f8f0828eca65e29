"""The mail server killed while statuses change for several dossiers: deliveries are tried and
fail, the back office still gets everything, and once the server is back the real delivery
worker sends every notification exactly once (counted by Message-ID: none missing, none twice)."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from app.dossiers.models import Dossier
from app.extensions import db
from app.journey import withdrawal
from app.outbox.models import NOTIFICATION, OutboxMessage
from tests.conftest import page
from tests.delivery.test_faults import time_passes
from tests.delivery.workers import start_worker
from tests.events import event_body, post_event
from tests.notifications import deliver, notification_keys, portal, submit
from tests.staff.test_deliveries_page import PASSWORD, sign_in
from tests.waiting import wait_for

pytestmark = pytest.mark.committed  # the worker is another process


def backoffice_states(app) -> dict[str, str]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind != NOTIFICATION))
        return {m.idempotency_key: m.state for m in rows}


def test_a_dead_mail_server_loses_nothing_and_sends_nothing_twice(make_app, mail_server, citizen_key):
    app = portal(make_app, mail_server, NOTIFICATION_CHANNELS=["email"], DELIVERY_BACKOFF_SECONDS=60)
    dossiers = [submit(app, citizen_key, locale=locale) for locale in ("vi", "en", "vi")]
    mail_server.stop()
    client = app.test_client()
    for dossier in dossiers:
        for sequence, status in enumerate((2, 4, 5), 1):
            body = event_body(dossier.code, sequence, status, "Bổ sung" if status == 5 else None)
            assert post_event(client, body).json["title"] == "applied"
    with app.test_request_context():  # the applicant of the first withdraws it meanwhile
        withdrawal.withdraw(db.session.get_one(Dossier, dossiers[0].id), "Nộp nhầm")
    keys = set(notification_keys(app))
    assert len(keys) == 3 * 4 + 1  # submitted, accepted, processing, supplement; the withdrawal

    for _ in range(2):  # tried, and failing: the server is down
        outcome = deliver(app)
        assert set(outcome.retrying) == keys
        time_passes(app)
    with app.app_context():
        tried = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == NOTIFICATION)).all()
        assert {m.attempts for m in tried} == {2}
        assert all(m.last_error.startswith("mail not sent: 127.0.0.1:") for m in tried)
    # The back office had everything all the same: the submissions, and the withdrawal after them.
    assert backoffice_states(app) == {
        **{d.code: "delivered" for d in dossiers},
        f"{dossiers[0].code}-RUT": "delivered",
    }
    assert mail_server.messages() == []

    mail_server.start()  # back, on the same port
    time_passes(app)
    worker = start_worker(app)
    try:

        def all_sent():
            """every notification delivered"""
            return set(notification_keys(app).values()) == {"delivered"}

        wait_for(all_sent)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        assert worker.stdout is not None
        worker.stdout.close()
    sent = Counter(m["Message-ID"] for m in mail_server.messages())
    assert sent == Counter({f"<{key}@127.0.0.1>": 1 for key in keys})


def test_staff_see_failed_notifications_on_the_deliveries_page(make_app, mail_server, citizen_key):
    app = portal(
        make_app, mail_server, NOTIFICATION_CHANNELS=["email"], DELIVERY_MAX_ATTEMPTS=1, WTF_CSRF_ENABLED=True
    )
    dossier = submit(app, citizen_key)
    mail_server.stop()
    outcome = deliver(app)
    [key] = outcome.failed
    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    staff = app.test_client()
    staff.get("/language/en")
    sign_in(staff)
    row = page(staff.get("/staff/deliveries")).select_one("tr.delivery-failed")
    assert row.select_one(".code").get_text(strip=True) == key
    assert row.select_one(".adapter").get_text(strip=True) == "email"
    assert "mail not sent" in row.select_one(".error-text").get_text()
    assert backoffice_states(app) == {dossier.code: "delivered"}
