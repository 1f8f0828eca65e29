"""The national payment platform (Nền tảng thanh toán trên Cổng Dịch vụ công quốc gia, run by
KeyPay), as OpenCPS's pay-gate integration speaks to it, as a payment provider
(docs/payment-providers.md).

Starting a payment is a server-to-server POST of the transaction as JSON: the merchant
(`client_id`), our reference (`transaction_id`), the amount, the command and version, and the
bill (`bill_info`: the agency, the dossier code MaHoSo, each fee as PhiLePhi with its kind, code,
name and amount, the beneficiary account), signed with HMAC-SHA256 under hash_key_1 over
`addition_fee|client_id|command|trans_amount|transaction_id|version` (`check_sum`, hex). The
platform answers {"error": "0", "payment_url": …}, where the browser is sent.

What comes back (the browser's return, in its query string; the callback, a POST of JSON; the
answer to a status query) carries the transaction's fields and its `status` (0 paid, 1 being
processed, 2 refused, 3 cancelled by the payer, 4 timed out), signed with HMAC-SHA256 under
hash_key_2. OpenCPS signs only the six fields above there, and checks them against what it
asked; this portal requires the status, the platform's transaction code and the dossier code
to be signed too (`…|version|status|transaction_code|MaHoSo`), so that none of them can be
changed unseen, and checks the amount and the dossier against what was asked when settling.
The callback is answered {"return_code": 0 | -1, "return_msg": …}.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

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
from app.payments.remote import GatewayProvider, amount_of, check_url, post_json, same, text
from app.texts import Text

REQUEST_FIELDS = ("addition_fee", "client_id", "command", "trans_amount", "transaction_id", "version")
RESULT_FIELDS = (*REQUEST_FIELDS, "status", "transaction_code", "MaHoSo")
QUERY_FIELDS = ("client_id", "command", "transaction_id")
STATES: dict[str, State] = {"0": "paid", "1": "pending", "2": "failed", "3": "failed", "4": "failed"}
STATUS_MEANING = {
    "0": "paid",
    "1": "being processed",
    "2": "refused by the payer's bank",
    "3": "cancelled by the payer",
    "4": "timed out",
}
KINDS = {"phi": 1, "le_phi": 2}  # LoaiPhiLePhi: 1 phí, 2 lệ phí
OK, ERROR = 0, -1
CALLBACK_ANSWERS: dict[Outcome, tuple[int, str]] = {
    "settled": (OK, "success"),
    "already": (OK, "already confirmed"),
    "pending": (OK, "received; not final"),
    "unknown": (ERROR, "error: transaction not found"),
    "mismatch": (ERROR, "error: amount or dossier is not what was asked"),
    "forged": (ERROR, "error: check_sum invalid"),
}


class KeypayOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: str = Field(min_length=1, max_length=64)  # the merchant code the platform gave
    hash_key_1: SecretStr = Field(min_length=16)  # signs the portal's requests; never logged
    hash_key_2: SecretStr | None = Field(default=None, min_length=16)  # checks the platform's (default: 1)
    pay_url: str  # create a transaction (keypay_dvcqg_create_transaction_endpoint)
    query_url: str  # a transaction's detail (keypay_dvcqg_detail_transaction_endpoint)
    command: str = "PAY"
    version: str = "3.0"
    service_code: str = "2"  # MaDichVu: 2, fees and charges of a procedure (thu phí, lệ phí)
    agency_code: str = Field(min_length=1)  # MaDonVi, e.g. 000.00.00.G17
    agency_name: str = Field(min_length=1)  # TenDonVi
    deciding_agency_code: str | None = None  # MaCoQuanQD (default: the agency)
    deciding_agency_name: str | None = None  # TenCoQuanQD
    account_number: str = Field(min_length=1)  # TKThuHuong: the beneficiary account
    account_bank: str = Field(min_length=1)  # MaNHThuHuong: its bank's code
    account_name: str = Field(min_length=1)  # TenTKThuHuong
    environment: Literal["1", "2"] = "1"  # 1 web, 2 app
    timeout_seconds: float = Field(default=10, gt=0, le=120)  # each request, connect and read


class KeypayProvider(GatewayProvider):
    name = "keypay"
    title = Text(vi="Nền tảng thanh toán quốc gia", en="The national payment platform")
    Options = KeypayOptions
    options: KeypayOptions

    def _sign(self, fields: Mapping[str, str], names: tuple[str, ...], *, theirs: bool) -> str:
        key = self.options.hash_key_2 if theirs and self.options.hash_key_2 else self.options.hash_key_1
        data = "|".join(fields[n] for n in names)
        return hmac.new(key.get_secret_value().encode(), data.encode("utf-8"), hashlib.sha256).hexdigest()

    def bill(self, order: Order) -> dict[str, Any]:
        """The bill the platform shows and passes on to the treasury: the dossier and its fees."""
        o = self.options
        return {
            "MaDichVu": o.service_code,
            "MaDonVi": o.agency_code,
            "TenDonVi": o.agency_name,
            "MaCoQuanQD": o.deciding_agency_code or o.agency_code,
            "TenCoQuanQD": o.deciding_agency_name or o.agency_name,
            "MaHoSo": order.dossier_code,
            "MaTTHC": "",  # the procedure's national code: not in the order (docs)
            "TenTTHC": "",
            "NoiDungThanhToan": order.description,
            "HoTenNguoiNop": order.applicant_name,
            "TKThuHuong": o.account_number,
            "MaNHThuHuong": o.account_bank,
            "TenTKThuHuong": o.account_name,
            "PhiLePhi": [
                {
                    "LoaiPhiLePhi": KINDS.get(item.kind, 1),
                    "MaPhiLePhi": item.code,
                    "TenPhiLePhi": item.name,
                    "SoTien": item.amount,
                }
                for item in order.items
            ],
            "DSKhoanNop": [{"NoiDung": item.name, "SoTien": str(item.amount)} for item in order.items],
        }

    def start(self, *, order: Order) -> Redirect:
        """Create the transaction at the platform; raises Unavailable when it cannot be."""
        o = self.options
        asked: dict[str, Any] = {
            "client_id": o.client_id,
            "transaction_id": order.reference,
            "trans_amount": str(order.amount),
            "addition_fee": "0",
            "command": o.command,
            "version": o.version,
            "description": order.description,
            "locale": "en" if order.locale == "en" else "vi",
            "country_code": "VN",
            "currency_code": "VND",
            "environment": o.environment,
            "return_url": order.return_url,
            "callback_url": order.notify_url,
            "bill_info": self.bill(order),
        }
        asked["check_sum"] = self._sign(asked, REQUEST_FIELDS, theirs=False)
        found = post_json(self.session, o.pay_url, asked, timeout=o.timeout_seconds)
        error = text(found.get("error"))
        if error != "0":
            raise Unavailable(f"the platform refused the transaction: {error} {text(found.get('msg'))[:200]}")
        url = text(found.get("payment_url"))
        try:
            check_url("payment_url", url)
        except ValueError as exc:
            raise Unavailable(f"the platform's answer: {exc}") from None
        return Redirect(url)

    def _checked(self, given: Mapping[str, Any], what: str) -> Report:
        fields = {n: text(given.get(n)) for n in RESULT_FIELDS}
        if not same(given.get("check_sum"), self._sign(fields, RESULT_FIELDS, theirs=True)):
            raise Forged(f"a {what} whose check_sum does not hold")
        if fields["client_id"] != self.options.client_id:
            raise Forged(f"a {what} for another merchant")
        status = fields["status"]
        return Report(
            reference=fields["transaction_id"],
            state=STATES.get(status, "pending"),
            amount=amount_of(fields["trans_amount"]),
            dossier_code=fields["MaHoSo"] or None,  # none yet: paid before it is sent
            provider_reference=fields["transaction_code"] or None,
            code=status or None,
            message=STATUS_MEANING.get(status, f"status {status or '?'}"),
        )

    def returned(self, *, params: Mapping[str, str]) -> Report:
        return self._checked(params, "return")

    def notified(self, *, params: Mapping[str, str], body: bytes) -> Report:
        try:
            given = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
            raise Forged("a callback that is not JSON") from None
        if not isinstance(given, dict):
            raise Forged("a callback that is not a JSON object")
        return self._checked(given, "callback")

    def acknowledge(self, *, outcome: Outcome) -> Answer:
        code, message = CALLBACK_ANSWERS[outcome]
        return Answer(200, json.dumps({"return_code": code, "return_msg": message}))

    def query(self, *, reference: str, amount: int, started_at: datetime) -> Report:
        o = self.options
        asked = {"client_id": o.client_id, "transaction_id": reference, "command": o.command}
        asked["check_sum"] = self._sign(asked, QUERY_FIELDS, theirs=False)
        found = post_json(self.session, o.query_url, asked, timeout=o.timeout_seconds)
        error = text(found.get("error"))
        if error == "1":
            return Report(reference=reference, state="unknown", code="1", message="transaction not found")
        if error != "0":
            raise Unavailable(f"the platform refused the query: {error} {text(found.get('msg'))[:200]}")
        try:
            report = self._checked(found, "query answer")
        except Forged as exc:
            raise Unavailable(str(exc)) from None
        if report.reference != reference:
            raise Unavailable("the platform answered of another transaction")
        return report
