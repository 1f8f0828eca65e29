"""The VNPay-style provider at the protocol's level: the checksum of the pay request and of what
comes back, computed here by hand from VNPay 2.1.0's rule (sorted vnp_ fields, each name=value
url-encoded with spaces as "+", joined with "&", HMAC-SHA512 hex), the answers to the IPN, the
settings checked at start-up, and no secret in the logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from app import ConfigError
from app.payments.providers import Forged, Item, Order, Unavailable
from app.payments.vnpay import VnpayOptions, VnpayProvider
from tests.conftest import TEST_CATALOG

SECRET = "vnpay-hash-secret-for-the-tests"
REFERENCE = "A1B2C3D4E5F6A7B8C9D0"
DOSSIER = "000.00.01.H22-261201-0001"


def provider(**extra: object) -> VnpayProvider:
    options = VnpayOptions.model_validate(
        {
            "tmn_code": "OPENDVC1",
            "hash_secret": SECRET,
            "pay_url": "https://pay.example.vn/paymentv2/vpcpay.html",
            "query_url": "https://pay.example.vn/merchant_webapi/api/transaction",
            **extra,
        }
    )
    made = VnpayProvider(options=options)
    made.check()
    return made


def order(**extra: object) -> Order:
    fields = {
        "reference": REFERENCE,
        "dossier_code": DOSSIER,
        "amount": 1_700_000,
        "items": (Item("LP01", "le_phi", "Lệ phí", 500_000), Item("P02", "phi", "Phí", 1_200_000)),
        "description": f"Nộp phí, lệ phí hồ sơ {DOSSIER}",
        "applicant_name": "Nguyễn Văn An",
        "locale": "vi",
        "return_url": "http://127.0.0.1:5000/payments/vnpay/return",
        "notify_url": "http://127.0.0.1:5000/api/v1/payments/vnpay/notify",
        "client_ip": "203.0.113.7",
        "created_at": datetime(2026, 12, 1, 3, 4, 5, tzinfo=UTC),  # 10:04:05 in Vietnam
        **extra,
    }
    return Order(**fields)  # type: ignore[arg-type]


def sha512(text: str) -> str:
    return hmac.new(SECRET.encode(), text.encode(), hashlib.sha512).hexdigest()


def test_the_pay_request_is_signed_as_vnpay_documents():
    redirect = provider().start(order=order())
    url = urlsplit(redirect.url)
    assert (redirect.method, f"{url.scheme}://{url.netloc}{url.path}") == (
        "GET",
        "https://pay.example.vn/paymentv2/vpcpay.html",
    )
    # Written out by hand: the fields sorted by name, url-encoded, amount x100, GMT+7 dates,
    # expiring 15 minutes later, the dossier code in the order information.
    signed = (
        "vnp_Amount=170000000&vnp_Command=pay&vnp_CreateDate=20261201100405&vnp_CurrCode=VND"
        "&vnp_ExpireDate=20261201101905&vnp_IpAddr=203.0.113.7&vnp_Locale=vn"
        "&vnp_OrderInfo=Nop+phi+ho+so+000.00.01.H22-261201-0001&vnp_OrderType=other"
        "&vnp_ReturnUrl=http%3A%2F%2F127.0.0.1%3A5000%2Fpayments%2Fvnpay%2Freturn"
        "&vnp_TmnCode=OPENDVC1&vnp_TxnRef=A1B2C3D4E5F6A7B8C9D0&vnp_Version=2.1.0"
    )
    assert url.query == f"{signed}&vnp_SecureHash={sha512(signed)}"


def test_the_locale_and_a_preselected_bank_travel_signed():
    redirect = provider(bank_code="VNBANK").start(order=order(locale="en"))
    fields = dict(parse_qsl(urlsplit(redirect.url).query))
    assert (fields["vnp_Locale"], fields["vnp_BankCode"]) == ("en", "VNBANK")
    given = fields.pop("vnp_SecureHash")
    signed = "&".join(
        f"{k}={v}".replace(" ", "+").replace(":", "%3A").replace("/", "%2F")
        for k, v in sorted(fields.items())
    )
    assert given == sha512(signed)


def came_back(**extra: str) -> dict[str, str]:
    """A return (or an IPN) as VNPay sends it, signed here."""
    fields = {
        "vnp_Amount": "170000000",
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP14226112",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": f"Nop phi ho so {DOSSIER}",
        "vnp_PayDate": "20261201101010",
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": "OPENDVC1",
        "vnp_TransactionNo": "14226112",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": REFERENCE,
        **extra,
    }
    signed = "&".join(
        f"{k}={v}".replace(" ", "+") for k, v in sorted(fields.items())
    )  # these values need no other escaping
    return {**fields, "vnp_SecureHash": sha512(signed)}


def test_a_signed_return_is_read():
    report = provider().returned(params=came_back())
    assert (report.reference, report.state, report.amount, report.dossier_code) == (
        REFERENCE,
        "paid",
        1_700_000,
        DOSSIER,
    )
    assert (report.provider_reference, report.code) == ("14226112", "00")
    upper = came_back()
    upper["vnp_SecureHash"] = upper["vnp_SecureHash"].upper()  # some gateways write it so
    assert provider().notified(params=upper, body=b"").state == "paid"


@pytest.mark.parametrize(
    ("code", "status", "state"),
    [
        ("24", "02", "failed"),  # cancelled by the customer
        ("11", "02", "failed"),  # timed out
        ("51", "02", "failed"),  # insufficient funds
        ("00", "01", "pending"),  # not completed yet
        ("07", "00", "pending"),  # money taken, suspected: for the staff, never paid on its word
    ],
)
def test_response_codes_are_mapped(code, status, state):
    report = provider().returned(params=came_back(vnp_ResponseCode=code, vnp_TransactionStatus=status))
    assert (report.state, report.code) == (state, code)


@pytest.mark.parametrize(
    "change",
    [
        {"vnp_Amount": "100"},  # one field changed after signing
        {"vnp_ResponseCode": "00", "vnp_TransactionStatus": "00", "vnp_TxnRef": "OTHER"},
        {"vnp_SecureHash": ""},
        {"vnp_SecureHash": None},
    ],
)
def test_a_return_changed_after_signing_is_forged(change):
    params = came_back(vnp_ResponseCode="24", vnp_TransactionStatus="02")
    for name, value in change.items():
        if value is None:
            params.pop(name)
        else:
            params[name] = value
    with pytest.raises(Forged):
        provider().returned(params=params)


def test_a_return_signed_for_another_terminal_is_forged():
    with pytest.raises(Forged):
        provider().returned(params=came_back(vnp_TmnCode="OTHER"))


def test_an_amount_that_is_not_one_is_reported_as_none():
    report = provider().returned(params=came_back(vnp_Amount="1700000.5"))
    assert report.amount is None  # settle refuses a payment whose amount is not said


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        ("settled", "00"),
        ("already", "02"),
        ("unknown", "01"),
        ("mismatch", "04"),
        ("forged", "97"),
        ("pending", "99"),
    ],
)
def test_the_ipn_is_answered_in_vnpay_terms(outcome, code):
    answer = provider().acknowledge(outcome=outcome)
    assert (answer.status, answer.media_type) == (200, "application/json")
    assert json.loads(answer.body)["RspCode"] == code


def test_a_query_to_nowhere_is_unavailable():
    unreachable = provider(query_url="http://127.0.0.1:9/merchant_webapi/api/transaction", timeout_seconds=2)
    with pytest.raises(Unavailable):
        unreachable.query(reference=REFERENCE, amount=1_700_000, started_at=datetime.now(UTC))


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"hash_secret": "short"}, r"OPENDVC_PAYMENT_OPTIONS\[vnpay\]: hash_secret"),
        ({"tmn_code": ""}, r"OPENDVC_PAYMENT_OPTIONS\[vnpay\]: tmn_code"),
        ({"version": "2.0.0"}, r"OPENDVC_PAYMENT_OPTIONS\[vnpay\]: version"),
        ({"secret": "x" * 20}, r"OPENDVC_PAYMENT_OPTIONS\[vnpay\]: secret"),  # not a setting
        ({"pay_url": "ftp://pay.example.vn/"}, r"payment provider vnpay: pay_url"),
        ({"query_url": "http://pay.example.vn/api"}, r"payment provider vnpay: query_url must be https"),
    ],
)
def test_a_wrong_setting_stops_start_up_naming_it(make_app, options, named):
    good = {
        "tmn_code": "OPENDVC1",
        "hash_secret": SECRET,
        "pay_url": "https://pay.example.vn/paymentv2/vpcpay.html",
        "query_url": "https://pay.example.vn/merchant_webapi/api/transaction",
    }
    with pytest.raises(ConfigError, match=named) as stopped:
        make_app(
            CATALOG_DIR=TEST_CATALOG,
            PAYMENT_PROVIDERS=["vnpay"],
            PAYMENT_OPTIONS={"vnpay": {**good, **options}},
        )
    assert SECRET not in str(stopped.value)


def test_a_missing_setting_stops_start_up_naming_it(make_app):
    with pytest.raises(ConfigError, match=r"OPENDVC_PAYMENT_OPTIONS\[vnpay\]: hash_secret: Field required"):
        make_app(
            CATALOG_DIR=TEST_CATALOG,
            PAYMENT_PROVIDERS=["vnpay"],
            PAYMENT_OPTIONS={
                "vnpay": {"tmn_code": "X", "pay_url": "https://a.vn/", "query_url": "https://a.vn/"}
            },
        )


def test_the_secret_shows_nowhere(caplog):
    caplog.set_level(logging.DEBUG)
    made = provider(query_url="http://127.0.0.1:9/api", timeout_seconds=2)
    assert SECRET not in repr(made.options)
    assert SECRET not in str(made.options.model_dump())
    changed = {**came_back(), "vnp_Amount": "1"}
    with pytest.raises(Forged) as forged:
        made.returned(params=changed)
    with pytest.raises(Unavailable) as unavailable:
        made.query(reference=REFERENCE, amount=1, started_at=datetime.now(UTC))
    for said in (caplog.text, str(forged.value), str(unavailable.value)):
        assert SECRET not in said


def test_a_dossier_without_a_code_yet_is_named_by_the_transaction():
    fields = dict(parse_qsl(urlsplit(provider().start(order=order(dossier_code="")).url).query))
    assert fields["vnp_OrderInfo"] == f"Nop phi giao dich {REFERENCE}"
    report = provider().returned(params=came_back(vnp_OrderInfo=f"Nop phi giao dich {REFERENCE}"))
    assert report.dossier_code is None  # nothing to check it against: the amount still is
    other = provider().returned(params=came_back(vnp_OrderInfo="Nop phi giao dich OTHER"))
    assert other.dossier_code == "Nop phi giao dich OTHER", "it then matches no dossier"
