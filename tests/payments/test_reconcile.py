"""Reconciliation: every payment left started is asked about and settled, once; nothing paid is
lost, even counted failed or expired before; a payment whose provider is gone stays for the staff
and is not asked every round; a withdrawn, refused or stopped dossier's fees are flagged for
refund, and the refund is recorded once. `flask payments reconcile`, once and as a worker."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.dossiers.models import Dossier
from app.extensions import db
from app.journey.withdrawal import withdraw
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import Report
from tests.conftest import TEST_CATALOG
from tests.delivery.workers import ROOT, env_of
from tests.factories import SubmittedFactory
from tests.payments import TOTAL, decided_later, requested_charge
from tests.waiting import wait_for

NOW = timedelta(0)


@pytest.fixture
def app(make_app, tmp_path):
    """Nothing charged at submission (the fee is decided later): the dossiers are sent, and
    each test opens the charges it needs."""
    catalog = decided_later(TEST_CATALOG, tmp_path / "catalog")
    return make_app(CATALOG_DIR=catalog, PAYMENT_PROVIDERS=["demo", "failing"])


def a_charge(citizen_key) -> int:
    """A submitted dossier's charge, due (in a request context)."""
    return requested_charge(SubmittedFactory(key=citizen_key).dossier).id


def charge_of(charge_id: int) -> Charge:
    return db.session.get_one(Charge, charge_id)


def payment(payment_id: int) -> Payment:
    db.session.expire_all()
    return db.session.get_one(Payment, payment_id)


def paid_report(p: Payment) -> Report:
    return Report(reference=p.reference, state="paid", amount=TOTAL, provider_reference="GW-LATE")


def time_passes(**since: float) -> None:
    """Every payment was started, and last asked, that long ago."""
    ago = timedelta(**since)
    for p in db.session.scalars(select(Payment)):
        p.started_at, p.next_check_at = p.started_at - ago, None
    db.session.commit()


def test_a_round_settles_each_started_payment_once_then_finds_nothing(app, citizen_key):
    with app.test_request_context():
        charge = a_charge(citizen_key)
        refused = payments.begin(charge_of(charge), "failing")
        paid = payments.begin(charge_of(charge), "demo")
        assert payments.reconcile() == {}, "not before PAYMENT_RECONCILE_AFTER_SECONDS"
        assert payments.reconcile(older_than=NOW) == {"settled": 2}
        assert (payment(refused.id).state, payment(paid.id).state) == ("failed", "paid")
        assert (payment(paid.id).settled_via, payment(paid.id).next_check_at) == ("query", None)
        assert charge_of(charge).paid_by == paid.id
        assert payments.reconcile(older_than=NOW) == {}


def test_a_payment_counted_failed_then_reported_paid_is_paid(app, citizen_key):
    with app.test_request_context():
        charge = a_charge(citizen_key)
        first = payments.begin(charge_of(charge), "failing")
        assert payments.reconcile(older_than=NOW) == {"settled": 1}
        assert payment(first.id).state == "failed"
        late = payments.settle(paid_report(payment(first.id)), provider="failing", via="notification")
        assert late.outcome == "settled"
        settled = payment(first.id)
        assert (settled.state, settled.refund_due) == ("paid", False)
        assert settled.receipt_number is not None
        assert charge_of(charge).paid_by == first.id


def test_a_payment_expired_then_reported_paid_after_another_paid_is_refunded(app, citizen_key):
    with app.test_request_context():
        charge = a_charge(citizen_key)
        lost = payments.begin(charge_of(charge), "demo")
        payment(lost.id).state = "expired"
        db.session.commit()
        other = payments.begin(charge_of(charge), "demo")
        assert payments.reconcile(older_than=NOW) == {"settled": 1}  # the expired one is not asked
        assert charge_of(charge).paid_by == other.id
        payments.settle(paid_report(payment(lost.id)), provider="demo", via="notification")
        found = payment(lost.id)
        assert (found.state, found.refund_due, found.refund_reason) == ("paid", True, "charge paid")
        assert found.receipt_number is not None, "its money was taken: it has its receipt"
        assert charge_of(charge).paid_by == other.id, "the charge is paid once"


def test_a_payment_whose_provider_is_gone_stays_for_the_staff_and_is_backed_off(make_app, app, citizen_key):
    with app.test_request_context():
        left = payments.begin(charge_of(a_charge(citizen_key)), "failing").id
    later = make_app(CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=["demo"])  # "failing" is gone
    with later.test_request_context():
        assert payments.reconcile(older_than=NOW) == {"not_offered": 1}
        found = payment(left)
        assert (found.state, found.checks, found.last_check) == ("started", 1, "not offered")
        assert found.next_check_at > clock.now() + timedelta(minutes=59), "asked again in an hour"
        assert payments.reconcile(older_than=NOW) == {}, "not asked every round"
        time_passes(hours=2)
        assert payments.reconcile(older_than=NOW) == {"not_offered": 1}
        assert payment(left).checks == 2
        time_passes(days=30)
        assert payments.reconcile(older_than=NOW) == {"not_offered": 1}
        assert payment(left).state == "started", "never expired: its provider could not be asked"


def test_backoff_doubles_from_the_reconcile_window_up_to_an_hour(app):
    with app.app_context():
        waits = [payments._recheck_after(n) for n in (1, 2, 3, 10)]
        assert waits == [timedelta(minutes=m) for m in (5, 10, 20, 60)]


def test_two_rounds_at_once_ask_each_payment_once(app, citizen_key):
    """A check holds a lease: the second round, or a staff member's "ask now", skips it."""
    with app.test_request_context():
        started = payments.begin(charge_of(a_charge(citizen_key)), "demo")
        assert payments._claim(started.id, clock.now(), force=False)
        assert payments.reconcile(older_than=NOW) == {}, "leased by another worker"
        assert payments.check(started.id) == "skipped"
        assert payments.check(started.id, force=True) == "settled"
        assert payments.check(started.id, force=True) == "skipped", "settled: nothing to ask"


def test_withdrawing_a_dossier_cancels_what_is_due_and_flags_what_was_paid(app, citizen_key):
    with app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
        paid_charge = requested_charge(made.dossier).id
        due_charge = requested_charge(made.dossier).id
        paid = payments.begin(charge_of(paid_charge), "demo")
        on_its_way = payments.begin(charge_of(due_charge), "demo")
        payments.settle(paid_report(paid), provider="demo", via="notification")
        withdraw(db.session.get_one(Dossier, made.dossier.id), "changed my mind")
        assert (payment(paid.id).refund_due, payment(paid.id).refund_reason) == (True, "dossier withdrawn")
        assert charge_of(paid_charge).state == "paid", "it was paid: the refund is a fact added to it"
        assert charge_of(due_charge).state == "cancelled"
        assert payments.reconcile(older_than=NOW) == {"settled": 1}  # the money arrives after all
        late = payment(on_its_way.id)
        assert (late.state, late.refund_due, late.refund_reason) == ("paid", True, "charge cancelled")
        assert {p.reference for p in payments.refunds_due()} == {paid.reference, late.reference}


def test_reconciliation_flags_the_fees_of_a_dossier_closed_by_any_path(app, citizen_key):
    with app.test_request_context():
        charge = a_charge(citizen_key)
        paid = payments.begin(charge_of(charge), "demo")
        payments.settle(paid_report(paid), provider="demo", via="notification")
        db.session.get_one(Dossier, paid.dossier_id).status = "refused"
        db.session.commit()
        assert payments.reconcile() == {"refund_due": 1}
        assert payment(paid.id).refund_reason == "dossier refused"
        assert payments.reconcile() == {}, "flagged once"


def test_a_refund_is_recorded_once_by_whom_and_when(app, citizen_key):
    with app.test_request_context():
        charge = a_charge(citizen_key)
        first, second = (payments.begin(charge_of(charge), "demo") for _ in range(2))
        for p in (first, second):
            payments.settle(paid_report(p), provider="demo", via="notification")
        with pytest.raises(payments.NotRefundable):
            payments.record_refund(first.id, by="lan")  # it paid the charge: nothing to give back
        payments.record_refund(second.id, by="lan", note="  chuyển khoản UNC-0042 ")
        done = payment(second.id)
        assert (done.refunded_by, done.refund_note, done.state) == ("lan", "chuyển khoản UNC-0042", "paid")
        assert done.refunded_at is not None
        with pytest.raises(payments.NotRefundable):
            payments.record_refund(second.id, by="mai")
        assert payment(second.id).refunded_by == "lan"
        assert payments.refunds_due() == []
        with pytest.raises(LookupError):
            payments.record_refund(10**9, by="lan")


def test_the_command_prints_what_a_round_came_to(app, citizen_key):
    with app.test_request_context():
        payments.begin(charge_of(a_charge(citizen_key)), "demo")
        time_passes(hours=1)
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert (result.exit_code, result.output) == (0, "settled 1\n")
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert (result.exit_code, result.output) == (0, "nothing to reconcile\n")


def test_the_command_fails_when_a_payment_could_not_be_settled(app, citizen_key):
    """Its receipt cannot be made (its charge's items are damaged, written by hand): nothing is
    paid, the payment waits, the operator sees exit code 1."""
    with app.test_request_context():
        begun = payments.begin(charge_of(a_charge(citizen_key)), "demo")
        started = begun.id
        begun.charge.items = [{"code": "LP01"}]  # no name, kind nor amount
        time_passes(hours=1)
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert (result.exit_code, result.output) == (1, "error 1\n")
    with app.app_context():
        left = payment(started)
        assert (left.state, left.last_check, left.receipt_number, left.charge.state) == (
            "started",
            "error",
            None,
            "due",
        )


@pytest.mark.committed  # the worker is another process
def test_the_worker_settles_payments_as_they_come_and_stops_on_sigterm(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=["demo"], PAYMENT_RECONCILE_AFTER_SECONDS=0)
    command = [sys.executable, "-m", "flask", "payments", "reconcile", "--every", "0.2"]
    worker = subprocess.Popen(command, cwd=ROOT, env=env_of(app), stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().startswith("reconciling every 0.2 s")
        with app.test_request_context():
            started = payments.begin(charge_of(a_charge(citizen_key)), "demo").id
        assert worker.stdout.readline() == "settled 1\n"
        with app.app_context():
            assert payment(started).state == "paid"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        assert worker.stdout.read() == "stopped\n"
    finally:
        worker.kill()
        if worker.stdout:
            worker.stdout.close()


@pytest.mark.committed  # the in-process worker is a thread of its own
def test_the_in_process_worker_of_make_run_reconciles_too(make_app, citizen_key):
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        PAYMENT_PROVIDERS=["demo"],
        PAYMENT_RECONCILE_AFTER_SECONDS=0,
        DELIVERY_IN_PROCESS=True,
    )
    try:
        with app.test_request_context():
            started = payments.begin(charge_of(a_charge(citizen_key)), "demo").id

        def paid() -> bool:
            """the in-process worker settled the payment"""
            with app.app_context():
                return db.session.scalar(select(Payment.state).where(Payment.id == started)) == "paid"

        wait_for(paid)
    finally:
        app.extensions["opendvc.delivery_thread"].set()
