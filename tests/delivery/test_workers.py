"""Delivery workers as real processes: killed mid-delivery, or two at once over many dossiers."""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app import clock
from app.catalog.loader import load_folder
from app.delivery.worker import deliver_due
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.backoffice.clones import clone_submitted
from tests.conftest import TEST_CATALOG, page
from tests.delivery.test_faults import time_passes
from tests.delivery.workers import start_worker
from tests.factories import submitted
from tests.staff.test_deliveries_page import PASSWORD, cells, sign_in
from tests.waiting import wait_for

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
pytestmark = pytest.mark.committed  # the workers are other processes


def states(app) -> dict[str, tuple[str, str | None]]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage))
        return {m.idempotency_key: (m.state, m.reference) for m in rows}


def test_a_worker_killed_mid_delivery_loses_and_duplicates_nothing(make_app, citizen_key, reference):
    reference.start(fault="slow", slow_seconds=60)  # it stores the package, then takes its time
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_DEFAULT="http",
        BACKOFFICE_OPTIONS={"http": reference.options(timeout_seconds=120)},
        DELIVERY_LEASE_SECONDS=3,
        DELIVERY_BACKOFF_SECONDS=1,  # the dead worker's attempt counts, and waits its backoff
    )
    codes = sorted(submitted(app, DEFINITION, citizen_key) for _ in range(2))
    worker = start_worker(app)
    try:

        def first_stored():
            """the back office has the first package"""
            return reference.dossiers()

        assert [d["code"] for d in wait_for(first_stored)] == codes[:1]
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        worker.kill()
        worker.stdout.close()
    assert states(app) == dict.fromkeys(codes, ("pending", None))  # nothing recorded, nothing lost

    reference.start()  # it recovers; the dead worker's lease runs out
    worker = start_worker(app)
    try:

        def all_delivered():
            """every dossier delivered"""
            return all(state == "delivered" for state, _ in states(app).values())

        wait_for(all_delivered)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        worker.stdout.close()
    received = reference.dossiers()
    assert [(d["code"], d["receipt_number"], d["deliveries"]) for d in received] == [
        (codes[0], 1, 2),  # received again after the kill, recognised by its code
        (codes[1], 2, 1),
    ]
    assert states(app) == {codes[0]: ("delivered", "BO-000001"), codes[1]: ("delivered", "BO-000002")}


def test_two_workers_deliver_every_dossier_once(make_app, citizen_key, reference):
    """500 queued dossiers, two worker processes: each dossier reaches the back office once."""
    reference.start()
    app = make_app(
        CATALOG_DIR=TEST_CATALOG, BACKOFFICE_DEFAULT="http", BACKOFFICE_OPTIONS={"http": reference.options()}
    )
    submitted(app, DEFINITION, citizen_key)
    codes = [*states(app), *clone_submitted(app, 499)]
    workers = [start_worker(app), start_worker(app)]
    try:

        def none_pending():
            """no delivery left pending"""
            with app.app_context():
                return not db.session.scalar(select(func.count()).where(OutboxMessage.state != "delivered"))

        wait_for(none_pending, seconds=600)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=10)
    outputs = [worker.stdout.read() for worker in workers]
    for worker in workers:
        worker.stdout.close()
    received = reference.dossiers()
    assert sorted(d["code"] for d in received) == sorted(codes)
    assert {d["deliveries"] for d in received} == {1}  # never twice
    assert all("delivered" in output for output in outputs)  # both took a share


def the_lease_runs_out(app) -> None:
    """Time passes: every lease a worker holds is over (as DELIVERY_LEASE_SECONDS later)."""
    with app.app_context():
        past = clock.now() - timedelta(seconds=1)
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.claimed_until.is_not(None)).values(claimed_until=past)
        )
        db.session.commit()


@pytest.mark.parametrize(
    ("max_attempts", "state", "shown"), [(10, "pending", "Retrying at"), (1, "failed", "Failed")]
)
def test_a_worker_that_died_mid_delivery_counts_as_an_attempt(
    make_app, citizen_key, reference, max_attempts, state, shown
):
    """Staff see the attempt of a worker that died holding the delivery, and a package that
    keeps stopping workers is given up after DELIVERY_MAX_ATTEMPTS like any other failure."""
    reference.start(fault="slow", slow_seconds=120)  # it stores the package, then takes its time
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_DEFAULT="http",
        BACKOFFICE_OPTIONS={"http": reference.options(timeout_seconds=300)},
        DELIVERY_MAX_ATTEMPTS=max_attempts,
        WTF_CSRF_ENABLED=True,
    )
    code = submitted(app, DEFINITION, citizen_key)
    worker = start_worker(app)
    try:
        assert reference.next_stored() == code  # the worker is waiting for the answer
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        worker.kill()
        worker.stdout.close()
    reference.start()
    the_lease_runs_out(app)
    with app.app_context():
        outcome = deliver_due()
    assert (outcome.delivered, outcome.retrying, outcome.failed) == (
        ([], [code], []) if state == "pending" else ([], [], [code])
    )

    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    client = app.test_client()
    client.get("/language/en")
    sign_in(client)
    row = cells(page(client.get("/staff/deliveries")).select_one(f"tr.delivery-{state}"))
    assert (row["code"], row["attempts"]) == (code, "1")
    assert row["state"].startswith(shown)
    assert row["error-text"].startswith("worker stopped during delivery")
    if state == "failed":
        return
    time_passes(app)
    with app.app_context():
        assert deliver_due().delivered == [code]
    assert states(app) == {code: ("delivered", "BO-000001")}
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage)).one().attempts == 2
    assert [(d["code"], d["deliveries"]) for d in reference.dossiers()] == [(code, 2)]
