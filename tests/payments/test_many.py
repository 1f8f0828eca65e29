"""200 payments through the reference gateway, both protocols, their notifications duplicated
or dropped at random and arriving concurrently, some applicants' browsers coming back at the
same time, then one reconciliation round (`flask payments reconcile`): every dossier paid
exactly once, every receipt issued once, nothing left started, the back office told once."""

from __future__ import annotations

import dataclasses
import os
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from app.dossiers.models import Dossier
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import get_providers
from app.storage import get_blobs
from tests.backoffice.clones import clone_submitted
from tests.conftest import TEST_CATALOG
from tests.factories import SubmittedFactory
from tests.payments import decided_later, requested_charge
from tests.payments.gateway import PayGate

COUNT = 200
PAYERS = 8  # applicants paying at once; the gateway notifies each from a thread of its own
PROTOCOLS = ("keypay", "vnpay")
DUPLICATE, DROP = "notify-twice", "never-notify"  # the gateway's faults (examples/paygate)
FAULTS = (None, DUPLICATE, DROP)


def test_200_payments_each_paid_once_with_one_receipt(live_server, paygate, citizen_key, tmp_path):
    seed = int(os.environ.get("PAYMENTS_SEED") or random.SystemRandom().randrange(10**6))
    chance = random.Random(seed)
    why = f"PAYMENTS_SEED={seed} reproduces this run"
    portal = live_server(
        CATALOG_DIR=decided_later(TEST_CATALOG, tmp_path / "catalog"),  # each pays what is asked later
        PAYMENT_PROVIDERS=list(PROTOCOLS),
        PAYMENT_OPTIONS={
            "keypay": paygate.keypay_options(timeout_seconds=30),
            "vnpay": paygate.vnpay_options(timeout_seconds=30),
        },
        PAYMENT_RECONCILE_AFTER_SECONDS=0,
    )
    paygate.register(portal.url, "vnpay")
    with portal.app.test_request_context():
        SubmittedFactory(key=citizen_key)
    clone_submitted(portal.app, COUNT - 1)

    # Each dossier is asked for its fees; its applicant starts paying through one protocol.
    plan: dict[str, tuple[str, str | None, bool]] = {}  # reference: protocol, fault, comes back
    pay_urls: dict[str, str] = {}
    with portal.app.test_request_context():
        dossiers = db.session.scalars(select(Dossier).order_by(Dossier.id)).all()
        assert len(dossiers) == COUNT
        for dossier in dossiers:
            protocol = chance.choice(PROTOCOLS)
            payment = payments.begin(requested_charge(dossier), protocol)
            order = payments.order_of(
                payment,
                return_url=f"{portal.url}/payments/{protocol}/return",
                notify_url=f"{portal.url}/api/v1/payments/{protocol}/notify",
                client_ip="127.0.0.1",
            )
            fault = chance.choice(FAULTS)
            plan[payment.reference] = (protocol, fault, chance.random() < 0.3)
            if fault:
                paygate.faults(fault, reference=payment.reference)
            pay_urls[payment.reference] = get_providers()[protocol].start(order=order).url

    def pay(reference: str) -> None:
        """One applicant pays at the gateway, and perhaps comes back to the portal at once (the
        portal then asks the gateway, racing the notification)."""
        payer = dataclasses.replace(paygate, browser=requests.Session())  # a browser of their own
        back = PayGate.pay(payer, pay_urls[reference])
        if plan[reference][2]:
            # A browser that does not hold the dossier gets the neutral page; the portal still
            # asks the gateway, racing the notification.
            assert payer.browser.get(back, allow_redirects=False, timeout=120).status_code == 200, why

    with ThreadPoolExecutor(PAYERS) as payers:
        list(payers.map(pay, plan))

    # Every notification the gateway sends has been answered, dropped, or given up on (the
    # gateway waits 30 s: under this load some answers come later, and count as dropped).
    gave_up = 0
    for reference, (_protocol, fault, _back) in plan.items():
        if fault == DROP:
            paygate.expect("withheld", reference)
            continue
        for _ in range(2 if fault == DUPLICATE else 1):
            words = paygate.expect("notified", reference)
            assert words[-2:] in (["error", "0"], [words[2], "200"]), (why, words)
            gave_up += words[-1] == "0"
    print(f"{why}; the gateway gave up waiting for {gave_up} answers")

    round_ = portal.app.test_cli_runner().invoke(args=["payments", "reconcile", "--limit", str(COUNT)])
    assert round_.exit_code == 0, (why, round_.output)

    with portal.app.app_context():
        charges = db.session.scalars(select(Charge)).all()
        all_payments = db.session.scalars(select(Payment)).all()
        assert len(charges) == len(all_payments) == COUNT, why
        assert Counter(p.state for p in all_payments) == {"paid": COUNT}, why
        by_charge = Counter(p.charge_id for p in all_payments if p.state == "paid" and not p.refund_due)
        for charge in charges:
            assert charge.state == "paid", (why, charge.dossier_id)
            assert charge.paid_by is not None, why
            assert by_charge[charge.id] == 1, (why, "paid exactly once", charge.id)
        receipts = [p.receipt_number for p in all_payments]
        assert None not in receipts, why
        assert len(set(receipts)) == COUNT, (why, "receipt numbers are unique")
        blobs = get_blobs()
        assert all(blobs.path(p.receipt_sha256).is_file() for p in all_payments), why
        # Settled by the notification, or by a query (the applicant's return, reconciliation)
        # for those whose notification was dropped.
        for p in all_payments:
            if plan[p.reference][1] == DROP:
                assert p.settled_via == "query", (why, p.reference)
        # The back office is told once of each payment (kind "payment").
        told = dict(
            db.session.execute(
                select(OutboxMessage.dossier_id, func.count())
                .where(OutboxMessage.kind == "payment")
                .group_by(OutboxMessage.dossier_id)
            ).all()
        )
        assert told == {p.dossier_id: 1 for p in all_payments}, why
