"""A bank gateway in the VNPay style (version 2.1.0), as a payment provider (docs/payment-providers.md).

The browser is sent to the gateway's pay page with the order in `vnp_` query fields, signed:
every `vnp_` field but the hash, sorted by name, each `name=value` url-encoded (spaces as "+"),
joined with "&", HMAC-SHA512 with the merchant's hash secret, hex (`vnp_SecureHash`). The
gateway sends the browser back to the return URL, and its IPN (a GET to the address registered
with it for the terminal) to the notify route, both with `vnp_` fields signed the same way;
the IPN is answered in JSON, {"RspCode", "Message"}. Amounts are VND ×100; dates are
yyyyMMddHHmmss in GMT+7. The dossier code travels in `vnp_OrderInfo` ("Nop phi ho so <code>")
so that what the gateway echoes can be checked against what was asked.

The query (querydr) is a server-to-server POST of JSON whose fields are joined with "|" in the
documented order and signed with HMAC-SHA512; its answer is checked the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import quote_plus

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from app import clock
from app.payments.providers import (
    Answer,
    Forged,
    Order,
    Outcome,
    Redirect,
    Report,
    State,
    Unavailable,
)
from app.payments.remote import GatewayProvider, amount_of, post_json, same, text, vn_time
from app.texts import Text

ORDER_INFO_PREFIX = "Nop phi ho so "  # VNPay asks for Vietnamese without diacritics here
NO_CODE_PREFIX = "Nop phi giao dich "  # a dossier paid before it is sent has no code yet
HASH_FIELDS = ("vnp_SecureHash", "vnp_SecureHashType")

# vnp_ResponseCode of a payment (return, IPN), what it means for the staff's page and logs.
RESPONSE_CODES = {
    "00": "successful",
    "07": "money taken, the transaction suspected (fraud check)",
    "09": "the card or account is not registered for internet banking",
    "10": "the card or account could not be authenticated three times",
    "11": "timed out waiting for the payment",
    "12": "the card or account is locked",
    "13": "wrong one-time password",
    "24": "cancelled by the customer",
    "51": "insufficient funds",
    "65": "over the daily limit",
    "75": "the bank is under maintenance",
    "79": "wrong payment password too many times",
    "99": "other error",
}
# vnp_TransactionStatus: 00 paid, 01 not completed yet; 02 failed; the rest (reversed, refunds,
# suspected fraud) are left for the staff: never paid on their word, never counted failed.
PAID_STATUS, PENDING_STATUS, FAILED_STATUS = "00", "01", "02"
SUSPECTED = "07"

QUERY_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
QUERY_ANSWER_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)
NOT_FOUND = "91"

# The IPN's answer for each outcome of settling it: 00 recorded (VNPay stops sending), 02 recorded
# before, 01 no such order, 04 the amount (or the dossier) is not what was asked, 97 the checksum
# does not hold, 99 not recorded (pending): VNPay sends it again.
IPN_ANSWERS: dict[Outcome, tuple[str, str]] = {
    "settled": ("00", "Confirm Success"),
    "already": ("02", "Order already confirmed"),
    "unknown": ("01", "Order not found"),
    "mismatch": ("04", "Invalid amount"),
    "forged": ("97", "Invalid signature"),
    "pending": ("99", "Unknown error"),
}


def hash_data(params: Mapping[str, str]) -> str:
    """The text VNPay signs: the vnp_ fields but the hash, sorted, url-encoded, joined by &."""
    fields = {k: v for k, v in params.items() if k.startswith("vnp_") and k not in HASH_FIELDS}
    return "&".join(f"{quote_plus(k)}={quote_plus(fields[k])}" for k in sorted(fields))


class VnpayOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tmn_code: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9]+$")  # mã website (terminal)
    hash_secret: SecretStr = Field(min_length=16)  # vnp_HashSecret: never logged, never stored
    pay_url: str  # the pay page, e.g. https://sandbox.vnpayment.vn/paymentv2/vpcpay.html
    query_url: str  # querydr, e.g. https://sandbox.vnpayment.vn/merchant_webapi/api/transaction
    version: Literal["2.1.0"] = "2.1.0"
    order_type: str = Field(default="other", min_length=1, max_length=100)  # vnp_OrderType
    bank_code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]+$")  # preselected method
    expire_minutes: int = Field(default=15, ge=1, le=24 * 60)  # vnp_ExpireDate after vnp_CreateDate
    timeout_seconds: float = Field(default=10, gt=0, le=120)  # each query, connect and read
    server_ip: str = "127.0.0.1"  # vnp_IpAddr of the portal's own queries


class VnpayProvider(GatewayProvider):
    name = "vnpay"
    title = Text(vi="Thẻ ngân hàng, ví điện tử (VNPay)", en="Bank card or e-wallet (VNPay)")
    Options = VnpayOptions
    options: VnpayOptions

    def _sign(self, data: str) -> str:
        key = self.options.hash_secret.get_secret_value().encode()
        return hmac.new(key, data.encode("utf-8"), hashlib.sha512).hexdigest()

    def start(self, *, order: Order) -> Redirect:
        created = order.created_at
        params = {
            "vnp_Version": self.options.version,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.options.tmn_code,
            "vnp_Amount": str(order.amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": order.reference,
            "vnp_OrderInfo": _order_info(order),
            "vnp_OrderType": self.options.order_type,
            "vnp_Locale": "en" if order.locale == "en" else "vn",
            "vnp_ReturnUrl": order.return_url,
            "vnp_IpAddr": order.client_ip,
            "vnp_CreateDate": vn_time(created),
            "vnp_ExpireDate": vn_time(created + timedelta(minutes=self.options.expire_minutes)),
        }
        if self.options.bank_code:
            params["vnp_BankCode"] = self.options.bank_code
        query = hash_data(params)
        return Redirect(f"{self.options.pay_url}?{query}&vnp_SecureHash={self._sign(query)}")

    def _checked(self, params: Mapping[str, str], what: str) -> Report:
        fields = {k: text(v) for k, v in params.items() if k.startswith("vnp_")}
        if not same(fields.get("vnp_SecureHash"), self._sign(hash_data(fields))):
            raise Forged(f"a {what} whose vnp_SecureHash does not hold")
        if fields.get("vnp_TmnCode") != self.options.tmn_code:
            raise Forged(f"a {what} for another terminal")
        code = fields.get("vnp_ResponseCode", "")
        status = fields.get("vnp_TransactionStatus", "")
        state: State
        if status == PAID_STATUS and code == "00":
            state = "paid"
        elif status in (PENDING_STATUS, SUSPECTED) or code == SUSPECTED:
            state = "pending"
        elif code and code != "00":
            state = "failed"
        else:
            state = "pending"
        return Report(
            reference=fields.get("vnp_TxnRef", ""),
            state=state,
            amount=amount_of(fields.get("vnp_Amount"), scale=100),
            dossier_code=_dossier_of(fields.get("vnp_OrderInfo", ""), fields.get("vnp_TxnRef", "")),
            provider_reference=fields.get("vnp_TransactionNo") or None,
            code=code or status or None,
            message=RESPONSE_CODES.get(code, f"response {code or '?'}, transaction status {status or '?'}"),
        )

    def returned(self, *, params: Mapping[str, str]) -> Report:
        return self._checked(params, "return")

    def notified(self, *, params: Mapping[str, str], body: bytes) -> Report:
        return self._checked(params, "notification")  # the IPN is a GET: its query string

    def acknowledge(self, *, outcome: Outcome) -> Answer:
        code, message = IPN_ANSWERS[outcome]
        return Answer(200, json.dumps({"RspCode": code, "Message": message}))

    def query(self, *, reference: str, amount: int, started_at: datetime) -> Report:
        asked = {
            "vnp_RequestId": secrets.token_hex(16),
            "vnp_Version": self.options.version,
            "vnp_Command": "querydr",
            "vnp_TmnCode": self.options.tmn_code,
            "vnp_TxnRef": reference,
            "vnp_TransactionDate": vn_time(started_at),
            "vnp_CreateDate": vn_time(clock.now()),
            "vnp_IpAddr": self.options.server_ip,
            "vnp_OrderInfo": f"Truy van giao dich {reference}",
        }
        asked["vnp_SecureHash"] = self._sign("|".join(asked[n] for n in QUERY_FIELDS))
        found = post_json(self.session, self.options.query_url, asked, timeout=self.options.timeout_seconds)
        answer = {n: text(found.get(n)) for n in QUERY_ANSWER_FIELDS}
        if not same(
            found.get("vnp_SecureHash"), self._sign("|".join(answer[n] for n in QUERY_ANSWER_FIELDS))
        ):
            raise Unavailable("the gateway's query answer has a checksum that does not hold")
        code = answer["vnp_ResponseCode"]
        if code == NOT_FOUND:
            return Report(reference=reference, state="unknown", code=code, message="transaction not found")
        if code != "00":
            raise Unavailable(f"the gateway refused the query: {code} {answer['vnp_Message'][:200]}")
        if answer["vnp_TxnRef"] != reference or answer["vnp_TmnCode"] != self.options.tmn_code:
            raise Unavailable("the gateway answered of another transaction")
        status = answer["vnp_TransactionStatus"]
        states: dict[str, State] = {PAID_STATUS: "paid", FAILED_STATUS: "failed"}
        state = states.get(status, "pending")
        return Report(
            reference=reference,
            state=state,
            amount=amount_of(answer["vnp_Amount"], scale=100),
            dossier_code=_dossier_of(answer["vnp_OrderInfo"], reference),
            provider_reference=answer["vnp_TransactionNo"] or None,
            code=status or None,
            message=f"transaction status {status or '?'}",
        )


def _order_info(order: Order) -> str:
    if order.dossier_code:
        return ORDER_INFO_PREFIX + order.dossier_code
    return NO_CODE_PREFIX + order.reference


def _dossier_of(order_info: str, reference: str) -> str | None:
    """The dossier code carried in vnp_OrderInfo; None for a dossier that had none yet; the
    whole text when it is in neither form (it then matches no dossier: the report is refused)."""
    if order_info == NO_CODE_PREFIX + reference:
        return None
    return order_info.removeprefix(ORDER_INFO_PREFIX)
