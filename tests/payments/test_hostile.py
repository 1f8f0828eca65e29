"""Hostile input to the payment routes: whatever arrives from outside (a notification nested
deeper than Python parses, one larger than a notification is, a NUL or an over-long value in a
reference or in what a provider reports) is refused in the protocol's terms or not found, never
a server error (PostgreSQL refuses NUL in text and values longer than their column), and a real
paid payment whose transaction number is odd still settles."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote_plus, urlencode

import pytest

from app.extensions import db
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import Report
from app.payments.vnpay import hash_data
from tests.conftest import TEST_CATALOG
from tests.factories import SubmittedFactory
from tests.payments import TOTAL, requested_charge

VNPAY_SECRET = "vnpay-hash-secret-for-the-tests"
VNPAY = {
    "tmn_code": "OPENDVC1",
    "hash_secret": VNPAY_SECRET,
    "pay_url": "https://pay.example.vn/paymentv2/vpcpay.html",
    "query_url": "https://pay.example.vn/merchant_webapi/api/transaction",
}
KEYPAY = {
    "client_id": "OPENDVC",
    "hash_key_1": "keypay-hash-key-one-for-tests",
    "pay_url": "https://platform.example.vn/transactions",
    "query_url": "https://platform.example.vn/transactions/detail",
    "agency_code": "000.00.01.H22",
    "agency_name": "Sở Tài nguyên và Môi trường",
    "account_number": "3511",
    "account_bank": "970418",
    "account_name": "Kho bạc",
}


@pytest.fixture
def app(make_app):
    return make_app(
        CATALOG_DIR=TEST_CATALOG,
        PAYMENT_PROVIDERS=["demo", "failing", "vnpay", "keypay"],
        PAYMENT_OPTIONS={"vnpay": VNPAY, "keypay": KEYPAY},
    )


@pytest.fixture
def started(app, citizen_key) -> tuple[str, str, str]:
    """A payment through VNPay, started: its reference, its dossier's code and public id."""
    with app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
        charge = requested_charge(made.dossier)
        payment = payments.begin(db.session.get_one(Charge, charge.id), "vnpay")
        return payment.reference, payment.dossier.code, payment.dossier.public_id


def ipn(reference: str, code: str, **fields: str) -> str:
    """A VNPay IPN query string, signed with the terminal's secret as VNPay signs it."""
    params = {
        "vnp_TmnCode": "OPENDVC1",
        "vnp_TxnRef": reference,
        "vnp_Amount": str(TOTAL * 100),
        "vnp_OrderInfo": f"Nop phi ho so {code}",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TransactionNo": "14226112",
        **fields,
    }
    signed = hmac.new(VNPAY_SECRET.encode(), hash_data(params).encode(), hashlib.sha512).hexdigest()
    return urlencode({**params, "vnp_SecureHash": signed}, quote_via=quote_plus)


def stored(app, reference: str) -> Payment:
    with app.app_context():
        payment = db.session.scalars(db.select(Payment).where(Payment.reference == reference)).one()
        db.session.expunge(payment)
        return payment


@pytest.mark.parametrize("body", [b"[" * 30_000 + b"]" * 30_000, b'{"a":' * 8_000 + b"1" + b"}" * 8_000])
def test_a_notification_nested_too_deep_is_refused_as_forged(app, body):
    answer = app.test_client().post(
        "/api/v1/payments/keypay/notify", data=body, content_type="application/json"
    )
    assert (answer.status_code, answer.json) == (
        200,
        {"return_code": -1, "return_msg": "error: check_sum invalid"},
    )


@pytest.mark.parametrize(
    ("provider", "refused"),
    [("keypay", {"return_code": -1}), ("vnpay", {"RspCode": "97"}), ("demo", {"ok": False})],
)
def test_a_notification_larger_than_one_is_refused_in_the_protocols_terms(app, provider, refused):
    body = b'{"x": "' + b"a" * 200_000 + b'"}'
    answer = app.test_client().post(
        f"/api/v1/payments/{provider}/notify", data=body, content_type="application/json"
    )
    assert answer.status_code == 413
    assert refused.items() <= answer.json.items()


@pytest.mark.parametrize(
    "path",
    [
        "/payments/demo/return?ref=%00",
        "/payments/failing/return?ref=A%00B",
        "/payments/demo/return?ref=" + "A" * 40,
        "/payments/demo/return?ref=0123456789abcdef0123",
    ],
)
def test_a_return_naming_no_payment_of_ours_is_not_found(app, path):
    assert app.test_client().get(path).status_code == 404


def test_an_ipn_whose_reference_holds_a_nul_is_an_unknown_order(app, started):
    reference, code, _public_id = started
    answer = app.test_client().get(f"/api/v1/payments/vnpay/notify?{ipn(reference + chr(0), code)}")
    assert answer.json["RspCode"] == "01"
    assert stored(app, reference).state == "started"


@pytest.mark.parametrize("number", ["1422\x006112", "9" * 100])
def test_a_paid_ipn_with_an_odd_transaction_number_still_settles(app, started, number):
    reference, code, _public_id = started
    answer = app.test_client().get(
        f"/api/v1/payments/vnpay/notify?{ipn(reference, code, vnp_TransactionNo=number)}"
    )
    assert answer.json["RspCode"] == "00"
    paid = stored(app, reference)
    assert paid.state == "paid"
    assert paid.provider_reference == number.replace("\x00", "")[:64]


def test_a_refusal_with_an_over_long_response_code_is_recorded_failed(app, started):
    reference, code, _public_id = started
    odd = "51" + "X" * 60 + "\x00"
    query = ipn(reference, code, vnp_ResponseCode=odd, vnp_TransactionStatus="02")
    answer = app.test_client().get(f"/api/v1/payments/vnpay/notify?{query}")
    assert answer.json["RspCode"] == "00"
    failed = stored(app, reference)
    assert (failed.state, failed.response_code) == ("failed", odd[:32])
    assert "\x00" not in failed.message


def test_a_report_of_no_reference_of_ours_is_unknown(app, started):
    reference, _code, _public_id = started
    with app.test_request_context():
        for wrong in (reference + "\x00", reference.lower(), "A" * 33, ""):
            report = Report(reference=wrong, state="paid", amount=TOTAL)
            assert payments.settle(report, provider="vnpay", via="query").outcome == "unknown"


def test_a_mismatch_naming_a_dossier_code_with_a_nul_is_recorded(app, started):
    reference, _code, _public_id = started
    answer = app.test_client().get(f"/api/v1/payments/vnpay/notify?{ipn(reference, 'X' + chr(0) + 'Y')}")
    assert answer.json["RspCode"] == "04"
    assert "\x00" not in stored(app, reference).message


@pytest.mark.parametrize("reference", ["%00", "A%00B", "A" * 40])
def test_a_receipt_of_no_reference_of_ours_is_not_found(app, started, reference):
    _reference, _code, public_id = started
    assert app.test_client().get(f"/dossiers/{public_id}/payments/{reference}/receipt.pdf").status_code == 404
