"""The national payment platform's provider (KeyPay, as OpenCPS integrates it) at the protocol's
level: the transaction it creates (its bill and its check_sum, computed here by hand: HMAC-SHA256
under hash_key_1 over addition_fee|client_id|command|trans_amount|transaction_id|version), what
comes back checked under hash_key_2, the callback's answers, the settings checked at start-up,
and no secret in the logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

import pytest

from app import ConfigError
from app.payments import services as payments
from app.payments.keypay import KeypayOptions, KeypayProvider
from app.payments.providers import Forged, Unavailable, get_providers
from tests.conftest import TEST_CATALOG
from tests.factories import SubmittedFactory
from tests.payments import TOTAL, requested_charge
from tests.payments.gateway import CALLBACK_SECRET, MERCHANT, SECRET

REFERENCE = "A1B2C3D4E5F6A7B8C9D0"
DOSSIER = "000.00.01.H22-261201-0001"


def sha256(key: str, text: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def provider(**extra: object) -> KeypayProvider:
    options = KeypayOptions.model_validate(
        {
            "client_id": MERCHANT,
            "hash_key_1": SECRET,
            "hash_key_2": CALLBACK_SECRET,
            "pay_url": "https://platform.example.vn/transactions",
            "query_url": "https://platform.example.vn/transactions/detail",
            "agency_code": "000.00.01.H22",
            "agency_name": "Sở Tài nguyên và Môi trường",
            "account_number": "3511",
            "account_bank": "970418",
            "account_name": "Kho bạc",
            **extra,
        }
    )
    made = KeypayProvider(options=options)
    made.check()
    return made


def came_back(**extra: str) -> dict[str, str]:
    """A return or a callback as the platform sends it, signed here under hash_key_2."""
    fields = {
        "client_id": MERCHANT,
        "transaction_id": REFERENCE,
        "transaction_code": "KP00012345",
        "trans_amount": "1700000",
        "addition_fee": "0",
        "payment_fee": "0",
        "command": "PAY",
        "version": "3.0",
        "status": "0",
        "MaHoSo": DOSSIER,
        **extra,
    }
    signed = "|".join(
        fields[n]
        for n in (
            "addition_fee",
            "client_id",
            "command",
            "trans_amount",
            "transaction_id",
            "version",
            "status",
            "transaction_code",
            "MaHoSo",
        )
    )
    return {**fields, "check_sum": sha256(CALLBACK_SECRET, signed)}


@pytest.fixture
def platform_app(make_app, paygate):
    return make_app(
        CATALOG_DIR=TEST_CATALOG,
        PAYMENT_PROVIDERS=["keypay"],
        PAYMENT_OPTIONS={"keypay": paygate.keypay_options()},
    )


def test_the_transaction_is_created_with_its_bill_and_checksum(platform_app, paygate, citizen_key):
    with platform_app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
        payment = payments.begin(requested_charge(made.dossier), "keypay")
        order = payments.order_of(
            payment,
            return_url="http://127.0.0.1:5000/payments/keypay/return",
            notify_url="http://127.0.0.1:5000/api/v1/payments/keypay/notify",
            client_ip="127.0.0.1",
        )
        redirect = get_providers()["keypay"].start(order=order)
        reference, code = payment.reference, made.dossier.code
    assert redirect.url == f"{paygate.url}/keypay/pay/{reference}"
    asked = paygate.transaction(reference)["request"]
    assert asked["check_sum"] == sha256(SECRET, f"0|{MERCHANT}|PAY|{TOTAL}|{reference}|3.0")
    assert (asked["trans_amount"], asked["currency_code"], asked["callback_url"]) == (
        str(TOTAL),
        "VND",
        "http://127.0.0.1:5000/api/v1/payments/keypay/notify",
    )
    bill = asked["bill_info"]
    assert (bill["MaHoSo"], bill["MaDonVi"], bill["MaDichVu"], bill["TKThuHuong"]) == (
        code,
        "000.00.01.H22",
        "2",
        "3511000000001",
    )
    assert [(f["LoaiPhiLePhi"], f["MaPhiLePhi"], f["SoTien"]) for f in bill["PhiLePhi"]] == [
        (2, "LP01", 500_000),  # lệ phí
        (1, "P02", 1_200_000),  # phí
    ]
    assert bill["PhiLePhi"][0]["TenPhiLePhi"] == "Lệ phí cấp giấy phép"


def test_a_transaction_the_platform_refuses_is_unavailable(make_app, paygate, citizen_key):
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        PAYMENT_PROVIDERS=["keypay"],
        PAYMENT_OPTIONS={"keypay": paygate.keypay_options(hash_key_1="not-the-platform-key-at-all")},
    )
    with app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
        payment = payments.begin(requested_charge(made.dossier), "keypay")
        order = payments.order_of(payment, return_url="http://x/r", notify_url="http://x/n", client_ip="::1")
        with pytest.raises(Unavailable, match="refused the transaction: 2"):
            get_providers()["keypay"].start(order=order)
        reference = payment.reference
    paygate.expect("refused-request", reference)


def test_a_platform_out_of_reach_is_unavailable():
    unreachable = provider(
        pay_url="http://127.0.0.1:9/t", query_url="http://127.0.0.1:9/d", timeout_seconds=2
    )
    with pytest.raises(Unavailable):
        unreachable.query(reference=REFERENCE, amount=1, started_at=datetime.now(UTC))


def test_a_transaction_the_platform_does_not_know_is_unknown(platform_app):
    with platform_app.app_context():
        report = get_providers()["keypay"].query(reference="NEVER", amount=1, started_at=datetime.now(UTC))
    assert report.state == "unknown"


def test_a_signed_return_and_callback_are_read():
    report = provider().returned(params=came_back())
    assert (
        report.reference,
        report.state,
        report.amount,
        report.dossier_code,
        report.provider_reference,
    ) == (
        REFERENCE,
        "paid",
        1_700_000,
        DOSSIER,
        "KP00012345",
    )
    body = json.dumps(came_back(status="3")).encode()
    assert provider().notified(params={}, body=body).state == "failed"


@pytest.mark.parametrize(
    ("status", "state"), [("0", "paid"), ("1", "pending"), ("2", "failed"), ("3", "failed"), ("4", "failed")]
)
def test_statuses_are_mapped(status, state):
    assert provider().returned(params=came_back(status=status)).state == state


@pytest.mark.parametrize("name", ["status", "trans_amount", "MaHoSo", "transaction_code", "transaction_id"])
def test_a_field_changed_after_signing_is_forged(name):
    changed = {**came_back(status="3"), name: "0" if name == "status" else "1"}
    with pytest.raises(Forged):
        provider().returned(params=changed)


def test_what_is_signed_with_the_merchants_own_key_is_forged():
    fields = came_back()
    fields["check_sum"] = sha256(SECRET, "|".join(fields[n] for n in ("addition_fee", "client_id")))
    with pytest.raises(Forged):
        provider().returned(params=fields)
    with pytest.raises(Forged):
        provider().notified(params={}, body=b"not json")
    with pytest.raises(Forged):
        provider().notified(params={}, body=b"[1, 2]")


def test_one_key_serves_both_ways_when_the_platform_gives_one():
    fields = came_back()
    signed = f"0|{MERCHANT}|PAY|1700000|{REFERENCE}|3.0|0|KP00012345|{DOSSIER}"
    fields["check_sum"] = sha256(SECRET, signed)
    assert provider(hash_key_2=None).returned(params=fields).state == "paid"


@pytest.mark.parametrize(
    ("outcome", "code"),
    [("settled", 0), ("already", 0), ("pending", 0), ("unknown", -1), ("mismatch", -1), ("forged", -1)],
)
def test_the_callback_is_answered_in_the_platforms_terms(outcome, code):
    answer = provider().acknowledge(outcome=outcome)
    assert answer.status == 200
    assert json.loads(answer.body)["return_code"] == code


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"hash_key_1": "short"}, r"OPENDVC_PAYMENT_OPTIONS\[keypay\]: hash_key_1"),
        ({"agency_code": ""}, r"OPENDVC_PAYMENT_OPTIONS\[keypay\]: agency_code"),
        ({"account_number": None}, r"OPENDVC_PAYMENT_OPTIONS\[keypay\]: account_number"),
        ({"environment": "3"}, r"OPENDVC_PAYMENT_OPTIONS\[keypay\]: environment"),
        ({"pay_url": "platform.example.vn"}, r"payment provider keypay: pay_url"),
        ({"query_url": "http://platform.example.vn/d"}, r"payment provider keypay: query_url must be https"),
    ],
)
def test_a_wrong_setting_stops_start_up_naming_it(make_app, options, named):
    good = provider().options.model_dump()
    good |= {"hash_key_1": SECRET, "hash_key_2": CALLBACK_SECRET}
    with pytest.raises(ConfigError, match=named) as stopped:
        make_app(
            CATALOG_DIR=TEST_CATALOG,
            PAYMENT_PROVIDERS=["keypay"],
            PAYMENT_OPTIONS={"keypay": {k: v for k, v in {**good, **options}.items() if v is not None}},
        )
    assert SECRET not in str(stopped.value)
    assert CALLBACK_SECRET not in str(stopped.value)


def test_the_keys_show_nowhere(caplog):
    caplog.set_level(logging.DEBUG)
    made = provider(query_url="http://127.0.0.1:9/d", timeout_seconds=2)
    shown = [repr(made.options), str(made.options.model_dump())]
    with pytest.raises(Forged) as forged:
        made.returned(params={**came_back(), "trans_amount": "1"})
    with pytest.raises(Unavailable) as unavailable:
        made.query(reference=REFERENCE, amount=1, started_at=datetime.now(UTC))
    for said in (caplog.text, str(forged.value), str(unavailable.value), *shown):
        assert SECRET not in said
        assert CALLBACK_SECRET not in said
