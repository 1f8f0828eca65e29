"""End to end through the reference gateway, for both protocols (the national platform, KeyPay,
and the VNPay-style bank gateway): the portal on a real socket, the gateway a real process, the
applicant's browser played by requests. Only a notification or a query marks a payment paid;
the amount and the dossier are checked; a forged checksum is refused; nothing is paid twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import select, update

from app.extensions import db
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import get_providers
from tests.conftest import TEST_CATALOG, LiveServer, page
from tests.factories import SignedFactory, SubmittedFactory, resume_url
from tests.payments import TOTAL, requested_charge
from tests.payments.gateway import CALLBACK_SECRET, SECRET, PayGate

PROTOCOLS = ["keypay", "vnpay"]
# How each protocol answers a notification: recorded, recorded before, refused as forged, refused
# as not what was asked.
ANSWERS = {
    "vnpay": {"settled": "00", "already": "02", "forged": "97", "mismatch": "04"},
    "keypay": {"settled": "0", "already": "0", "forged": "-1", "mismatch": "-1"},
}


@dataclass
class Journey:
    """One applicant paying one charge of a submitted dossier through one protocol."""

    protocol: str
    portal: LiveServer
    paygate: PayGate
    reference: str
    pay_url: str
    status_page: str
    browser: requests.Session

    def back(self, url: str) -> requests.Response:
        """The browser arrives back at the portal (not following the portal's own redirect)."""
        assert url.startswith(self.portal.url), url
        return self.browser.get(url, allow_redirects=False, timeout=60)

    def payment(self) -> Payment:
        with self.portal.app.app_context():
            found = db.session.scalar(select(Payment).where(Payment.reference == self.reference))
            assert found is not None
            db.session.expunge(found)
            return found

    def charge(self) -> Charge:
        with self.portal.app.app_context():
            found = db.session.get_one(Charge, self.payment().charge_id)
            db.session.expunge(found)
            return found

    def reconcile(self) -> dict[str, int]:
        with self.portal.app.app_context():
            return payments.reconcile(older_than=timedelta(0))

    def backoff_lapses(self) -> None:
        """Reconciliation backs off a payment it could not settle; that time has passed."""
        with self.portal.app.app_context():
            db.session.execute(
                update(Payment).where(Payment.reference == self.reference).values(next_check_at=None)
            )
            db.session.commit()

    def answered(self, outcome: str) -> None:
        """The gateway sent a notification and the portal answered it so (HTTP 200)."""
        words = self.paygate.expect("notified", self.reference)
        assert words[2:] == [ANSWERS[self.protocol][outcome], "200"], words


@pytest.fixture(params=PROTOCOLS)
def journey(request, live_server, paygate, citizen_key) -> Journey:
    protocol = request.param
    options = (paygate.keypay_options if protocol == "keypay" else paygate.vnpay_options)(timeout_seconds=2)
    portal = live_server(
        CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=[protocol], PAYMENT_OPTIONS={protocol: options}
    )
    paygate.register(portal.url, protocol)
    return begin(protocol, portal, paygate, citizen_key)


def begin(
    protocol: str, portal: LiveServer, paygate: PayGate, citizen_key, factory=SubmittedFactory
) -> Journey:
    with portal.app.test_request_context():
        made = factory(key=citizen_key)
        payment = payments.begin(requested_charge(made.dossier), protocol)
        order = payments.order_of(
            payment,
            return_url=f"{portal.url}/payments/{protocol}/return",
            notify_url=f"{portal.url}/api/v1/payments/{protocol}/notify",
            client_ip="127.0.0.1",
        )
        redirect = get_providers()[protocol].start(order=order)
        status_page = f"/dossiers/{made.dossier.public_id}/status"
    browser = requests.Session()  # the applicant's, holding the dossier (its resume link)
    assert browser.get(portal.url + resume_url(made), allow_redirects=False, timeout=60).status_code == 302
    return Journey(protocol, portal, paygate, payment.reference, redirect.url, status_page, browser)


def test_paid_once_with_a_receipt(journey):
    back = journey.paygate.pay(journey.pay_url)
    journey.answered("settled")
    returned = journey.back(back)
    assert (returned.status_code, urlsplit(returned.headers["Location"]).path) == (302, journey.status_page)
    paid = journey.payment()
    assert (paid.state, paid.settled_via, paid.amount) == ("paid", "notification", TOTAL)
    assert paid.receipt_number, "a receipt is issued"
    assert paid.receipt_sha256
    assert paid.provider_reference, "the gateway's own transaction number is kept"
    charge = journey.charge()
    assert (charge.state, charge.paid_by) == ("paid", paid.id)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_dossier_paid_before_it_is_sent_has_no_code_yet_and_is_paid(
    live_server, paygate, citizen_key, protocol
):
    options = paygate.keypay_options() if protocol == "keypay" else paygate.vnpay_options()
    portal = live_server(
        CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=[protocol], PAYMENT_OPTIONS={protocol: options}
    )
    paygate.register(portal.url, protocol)
    journey = begin(protocol, portal, paygate, citizen_key, factory=SignedFactory)
    back = paygate.pay(journey.pay_url)
    journey.answered("settled")
    assert journey.back(back).status_code == 302
    assert journey.payment().state == "paid"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_code_added_in_transit_to_a_dossier_without_one_is_refused(
    live_server, paygate, citizen_key, protocol
):
    options = paygate.keypay_options() if protocol == "keypay" else paygate.vnpay_options()
    portal = live_server(
        CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=[protocol], PAYMENT_OPTIONS={protocol: options}
    )
    paygate.register(portal.url, protocol)
    journey = begin(protocol, portal, paygate, citizen_key, factory=SignedFactory)
    paygate.faults("tamper-dossier", reference=journey.reference)
    paygate.pay(journey.pay_url)
    journey.answered("mismatch")
    assert journey.payment().state == "started"


@pytest.mark.parametrize(
    ("choice", "fault", "code"),
    [
        ("cancel", None, {"vnpay": "24", "keypay": "3"}),  # the payer cancels
        ("pay", "refuse", {"vnpay": "51", "keypay": "2"}),  # the bank refuses
        ("pay", "timeout", {"vnpay": "11", "keypay": "4"}),  # the payer never completes
    ],
)
def test_refused_is_failed_and_the_charge_still_due(journey, choice, fault, code):
    if fault:
        journey.paygate.faults(fault, reference=journey.reference)
    back = journey.paygate.pay(journey.pay_url, choice)
    journey.answered("settled")
    assert journey.back(back).status_code == 302
    failed = journey.payment()
    assert (failed.state, failed.response_code, failed.receipt_number) == (
        "failed",
        code[journey.protocol],
        None,
    )
    assert journey.charge().state == "due", "the applicant can try again"


def test_a_fault_set_for_every_transaction_applies_to_this_one(journey):
    journey.paygate.faults("refuse")  # no reference: every transaction
    journey.paygate.pay(journey.pay_url)
    journey.answered("settled")
    assert journey.payment().state == "failed"
    journey.paygate.faults()
    assert journey.paygate.transaction(journey.reference)["state"] == "failed"


def test_a_late_notification_settles_what_the_return_could_not(journey):
    journey.paygate.faults("notify-late", reference=journey.reference)
    back = journey.paygate.pay(journey.pay_url)
    journey.paygate.expect("held", journey.reference)
    returned = journey.back(back)  # the portal asks the gateway: still processing
    assert urlsplit(returned.headers["Location"]).path == journey.status_page
    assert journey.payment().state == "started"
    journey.paygate.expect("queried", journey.reference)
    journey.paygate.release(journey.reference)
    journey.answered("settled")
    paid = journey.payment()
    assert (paid.state, paid.settled_via) == ("paid", "notification")


def test_a_duplicate_notification_pays_once_and_is_answered_already_confirmed(journey):
    journey.paygate.faults("notify-twice", reference=journey.reference)
    journey.paygate.pay(journey.pay_url)
    journey.answered("settled")
    journey.answered("already")
    paid = journey.payment()
    assert paid.state == "paid"
    with journey.portal.app.app_context():
        receipts = db.session.scalars(
            select(Payment.receipt_number).where(Payment.dossier_id == paid.dossier_id)
        ).all()
    assert receipts == [paid.receipt_number], "one payment, one receipt"


def test_a_missing_notification_is_settled_by_reconciliation(journey):
    journey.paygate.faults("never-notify", reference=journey.reference)
    journey.paygate.pay(journey.pay_url)  # and the applicant closes the window: no return either
    journey.paygate.expect("withheld", journey.reference)
    assert journey.payment().state == "started"
    assert journey.reconcile() == {"settled": 1}
    journey.paygate.expect("queried", journey.reference)
    paid = journey.payment()
    assert (paid.state, paid.settled_via) == ("paid", "query")
    assert paid.receipt_number
    assert journey.reconcile() == {}, "nothing is left to ask"


def test_a_forged_checksum_is_refused_and_nothing_is_paid(journey):
    # The payer cancels, but the return and the notification claim success, badly signed.
    journey.paygate.faults("forge", reference=journey.reference)
    back = journey.paygate.pay(journey.pay_url, "cancel")
    journey.answered("forged")
    returned = journey.back(back)
    assert returned.status_code == 400
    journey.browser.get(f"{journey.portal.url}/language/en", timeout=30)
    assert "could not be confirmed" in page(journey.back(back)).get_text()
    assert journey.payment().state == "started"
    assert journey.charge().state == "due"
    assert journey.reconcile() == {"settled": 1}, "the gateway itself, asked, says what happened"
    assert journey.payment().state == "failed"


@pytest.mark.parametrize("fault", ["tamper-amount", "tamper-dossier"])
def test_an_amount_or_dossier_changed_in_transit_is_refused(journey, fault):
    journey.paygate.faults(fault, reference=journey.reference)
    back = journey.paygate.pay(journey.pay_url)
    journey.answered("mismatch")
    assert journey.back(back).status_code == 302
    assert journey.reconcile() == {"mismatch": 1}
    refused = journey.payment()
    assert (refused.state, refused.receipt_number) == ("started", None)
    assert "refused" in refused.message
    assert journey.charge().state == "due"


@pytest.mark.parametrize("fault", ["query-unavailable", "query-timeout", "query-garbage"])
def test_an_unavailable_query_leaves_the_payment_started_and_counts_the_check(journey, fault):
    journey.paygate.faults("never-notify", fault, reference=journey.reference)
    journey.paygate.pay(journey.pay_url)
    journey.paygate.expect("withheld", journey.reference)
    assert journey.reconcile() == {"unavailable": 1}
    assert journey.reconcile() == {}, "backed off: not asked every round"
    journey.backoff_lapses()
    assert journey.reconcile() == {"unavailable": 1}
    waiting = journey.payment()
    assert (waiting.state, waiting.checks, waiting.last_check) == ("started", 2, "unavailable")
    assert waiting.checked_at is not None
    journey.paygate.faults("never-notify", reference=journey.reference)  # the gateway is back
    journey.backoff_lapses()
    assert journey.reconcile() == {"settled": 1}
    assert journey.payment().state == "paid"


def test_a_pay_request_changed_on_its_way_is_refused_by_the_gateway(live_server, paygate, citizen_key):
    portal = live_server(
        CATALOG_DIR=TEST_CATALOG,
        PAYMENT_PROVIDERS=["vnpay"],
        PAYMENT_OPTIONS={"vnpay": paygate.vnpay_options()},
    )
    journey = begin("vnpay", portal, paygate, citizen_key)
    parts = urlsplit(journey.pay_url)
    fields = dict(parse_qsl(parts.query))
    fields["vnp_Amount"] = "100"  # 1 VND, the rest of the request as the portal signed it
    opened = requests.get(parts._replace(query=urlencode(fields)).geturl(), timeout=30)
    assert opened.status_code == 400
    paygate.expect("refused-request", journey.reference)
    assert paygate.announced("created", journey.reference) == []


def test_no_secret_reaches_the_logs_or_the_gateways_output(journey, caplog):
    caplog.set_level(logging.DEBUG)
    journey.paygate.faults("forge", "notify-twice", reference=journey.reference)
    back = journey.paygate.pay(journey.pay_url)
    journey.answered("forged")
    journey.answered("forged")
    journey.back(back)
    journey.reconcile()
    assert journey.payment().state == "paid", "the query, correctly signed, settles it"
    said = [caplog.text, *journey.paygate.lines]
    for secret in (SECRET, CALLBACK_SECRET):
        assert not [line for line in said if secret in line]
    assert "checksum does not hold" in caplog.text


@pytest.mark.parametrize(
    "hostile",
    [
        {"params": {"vnp_TxnRef": "X", "vnp_SecureHash": "00"}},
        {"params": {"transaction_id": "X", "check_sum": "'; drop table payment; --"}},
        {"data": b"\xff\xfe not json"},
        {"json": {"transaction_id": ["a", "b"], "check_sum": {"x": 1}, "status": None}},
        {"json": [1, 2, 3]},
    ],
)
def test_hostile_input_is_refused_in_the_protocols_terms_never_a_500(journey, hostile):
    notify = f"{journey.portal.url}/api/v1/payments/{journey.protocol}/notify"
    answer = requests.post(notify, timeout=30, **hostile)
    assert answer.status_code == 200
    code = answer.json()["RspCode" if journey.protocol == "vnpay" else "return_code"]
    assert str(code) == ANSWERS[journey.protocol]["forged"]
    params = hostile.get("params") or {"x": "1"}
    returned = requests.get(
        f"{journey.portal.url}/payments/{journey.protocol}/return", params=params, timeout=30
    )
    assert returned.status_code == 400
    assert journey.payment().state == "started"
