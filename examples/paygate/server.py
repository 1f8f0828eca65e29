"""A reference payment gateway: speaks the national payment platform's protocol (KeyPay, as
OpenCPS integrates it) and a VNPay-style bank gateway's, with faults on demand.

    PAYGATE_SECRET=… python examples/paygate/server.py [--port 0]

It is what the portal's `keypay` and `vnpay` providers talk to in the tests (docs/payment-
providers.md), written from the protocols' rules and not from the portal's code, so that each
checks the other. It keeps its transactions in memory. The first line it prints is its address
("paygate on http://127.0.0.1:<port>"); then one line for each thing a test may wait for:

    created <reference> <protocol> <amount>      a transaction was accepted (KeyPay: created,
                                                 VNPay: its pay page opened)
    refused-request <reference> <why>            a request whose checksum, merchant or amount
                                                 does not hold (nothing is recorded)
    decided <reference> <paid|failed> <code>     the payer paid or refused (or it timed out)
    held <reference>                             notify-late: processing until released
    withheld <reference>                         never-notify: no notification will be sent
    notified <reference> <answer code> <http status>   one notification sent, and the portal's
                                                 answer (VNPay RspCode, KeyPay return_code;
                                                 "error 0" when the portal could not be reached)
    queried <reference> <answer>                 a status query answered (ok, unknown, 503, …)

Settings come from the environment (a secret on the command line shows in `ps`):
    PAYGATE_SECRET           the merchant's secret: VNPay's hash secret, KeyPay's hash_key_1
    PAYGATE_CALLBACK_SECRET  KeyPay's hash_key_2, which signs what the platform sends back
                             (default: PAYGATE_SECRET)
    PAYGATE_MERCHANT         the merchant code it accepts (vnp_TmnCode, KeyPay client_id;
                             default OPENDVC01)
    PAYGATE_IPN_URL          VNPay: where it sends its IPN (VNPay registers it per merchant; also
                             set by POST /_control/merchant). KeyPay's create request names its own.
    PAYGATE_FAULTS           faults for every transaction, comma-separated (see FAULTS)

The control endpoint (for tests; a real gateway has none):
    POST /_control/faults {"faults": [...], "reference": "<ours>"}   set the faults of one
        transaction (before or after it is created), or of all when no reference is given
    POST /_control/release/<reference>   a held (notify-late) transaction completes and notifies
    POST /_control/merchant {"ipn_url": "…"}   VNPay's registered IPN address
    GET  /_control/transactions/<reference>    what it recorded (state, amounts, answers)

The payer's page is GET /vnpay/pay?vnp_… (VNPay) or GET /keypay/pay/<reference> (KeyPay, the
payment_url its create answer gives); the payer chooses by POSTing choice=pay or choice=cancel
to /<protocol>/pay/<reference>/decide. A test drives it with any HTTP client.
"""

from __future__ import annotations

import argparse
import hmac
import html
import os
import secrets
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote_plus, urlencode

import requests
from flask import Flask, Response, jsonify, redirect, request
from werkzeug.serving import make_server

VIETNAM = timezone(timedelta(hours=7))  # VNPay's dates are yyyyMMddHHmmss in GMT+7
FAULTS = {
    "refuse": "the payer's bank refuses (VNPay 51 insufficient funds, KeyPay status 2)",
    "timeout": "the payer never completes (VNPay 11 timed out, KeyPay status 4)",
    "notify-late": "the transaction stays processing, its notification held until released",
    "notify-twice": "the notification is sent twice (a duplicate)",
    "never-notify": "no notification is sent (dropped); only a query tells",
    "forge": "the return and the notification claim success under a wrong checksum",
    "tamper-amount": "the amount is changed in transit, validly signed (1,000 VND more)",
    "tamper-dossier": "the dossier code is changed in transit, validly signed",
    "query-unavailable": "the status query answers 503",
    "query-timeout": "the status query is not answered (held until the client gives up)",
    "query-garbage": "the status query answers something that is not JSON",
}
DUPLICATE, DROP = "notify-twice", "never-notify"  # the reconciliation test's two faults
NOT_THE_SECRET = b"not-the-merchant-secret"
VNP_CODES = {
    "00": "Giao dịch thành công",
    "11": "Hết hạn chờ thanh toán",
    "24": "Khách hàng hủy giao dịch",
    "51": "Tài khoản không đủ số dư",
}
KP_STATUS = {"0": "Thành công", "1": "Đang xử lý", "2": "Bị từ chối", "3": "Người nộp hủy", "4": "Hết hạn"}


_OUT = threading.Lock()  # notifications go from threads: one whole line at a time


def out(line: str) -> None:
    with _OUT:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def hmac_hex(key: bytes, data: str, digest: str) -> str:
    return hmac.new(key, data.encode("utf-8"), digest).hexdigest()


def holds(given: object, key: bytes, data: str, digest: str) -> bool:
    """Whether `given` is the checksum of `data` under `key` (compared in constant time)."""
    return hmac.compare_digest(str(given or "").lower(), hmac_hex(key, data, digest))


def vnp_hash_data(params: dict[str, str]) -> str:
    """VNPay 2.1.0: the vnp_ fields but the hash, sorted by name, each name=value url-encoded
    (spaces as +), joined with &."""
    hashes = ("vnp_SecureHash", "vnp_SecureHashType")
    fields = {k: v for k, v in params.items() if k.startswith("vnp_") and k not in hashes}
    return "&".join(f"{quote_plus(k)}={quote_plus(str(fields[k]))}" for k in sorted(fields))


def vn_time(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


@dataclass
class Txn:
    protocol: str
    reference: str
    amount: int  # as asked
    dossier: str  # as asked (KeyPay MaHoSo; VNPay vnp_OrderInfo)
    return_url: str
    notify_url: str
    created: str  # VNPay vnp_CreateDate, KeyPay its own
    number: str = field(default_factory=lambda: str(secrets.randbelow(10**8)).zfill(8))
    state: str = "new"  # new, deciding, processing, paid, failed
    code: str = ""  # VNPay response code, KeyPay status
    collected: int = 0  # what the payer was charged: the amount, or another (tamper-amount)
    reported_dossier: str = ""  # the dossier it reports: the one asked, or another (tamper-dossier)
    paid_at: str = ""
    release: threading.Event = field(default_factory=threading.Event)
    answers: list[str] = field(default_factory=list)  # the portal's answers to the notifications
    request: dict[str, Any] = field(default_factory=dict)  # what the portal asked, as it asked it

    def __post_init__(self) -> None:
        self.collected, self.reported_dossier = self.amount, self.dossier

    def view(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "reference": self.reference,
            "amount": self.amount,
            "collected": self.collected,
            "dossier": self.dossier,
            "reported_dossier": self.reported_dossier,
            "state": self.state,
            "code": self.code,
            "number": self.number,
            "answers": self.answers,
            "request": self.request,
        }


class Gateway:
    def __init__(
        self, *, secret: str, callback_secret: str, merchant: str, ipn_url: str, faults: set[str]
    ) -> None:
        self.secret = secret.encode()
        self.callback_secret = callback_secret.encode()
        self.merchant = merchant
        self.ipn_url = ipn_url
        self.faults = faults
        self.by_reference: dict[str, set[str]] = {}
        self.txns: dict[tuple[str, str], Txn] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.session = requests.Session()

    def faults_of(self, reference: str) -> set[str]:
        with self.lock:
            return self.faults | self.by_reference.get(reference, set())

    def find(self, protocol: str, reference: str) -> Txn | None:
        with self.lock:
            return self.txns.get((protocol, reference))

    def add(self, txn: Txn) -> bool:
        with self.lock:
            if (txn.protocol, txn.reference) in self.txns:
                return False
            self.txns[(txn.protocol, txn.reference)] = txn
        out(f"created {txn.reference} {txn.protocol} {txn.amount}")
        return True

    def claim(self, txn: Txn) -> bool:
        """Whether this request is the one that decides the transaction (a second POST is not)."""
        with self.lock:
            if txn.state != "new":
                return False
            txn.state = "deciding"
            return True

    # -- deciding --------------------------------------------------------------------------------

    def decide(self, txn: Txn, choice: str) -> None:
        faults = self.faults_of(txn.reference)
        vnpay = txn.protocol == "vnpay"
        if "timeout" in faults:
            txn.state, txn.code = "failed", "11" if vnpay else "4"
        elif choice != "pay":
            txn.state, txn.code = "failed", "24" if vnpay else "3"
        elif "refuse" in faults:
            txn.state, txn.code = "failed", "51" if vnpay else "2"
        else:
            txn.state, txn.code = "paid", "00" if vnpay else "0"
        txn.collected = txn.amount + 1000 if "tamper-amount" in faults else txn.amount
        txn.reported_dossier = txn.dossier
        if "tamper-dossier" in faults:
            last = txn.dossier[-1:] or "0"
            txn.reported_dossier = txn.dossier[:-1] + ("1" if last == "0" else "0")
        txn.paid_at = vn_time(datetime.now(UTC))
        out(f"decided {txn.reference} {txn.state} {txn.code}")
        if "notify-late" in faults:
            final = txn.state
            txn.state = "processing"
            out(f"held {txn.reference}")
            threading.Thread(target=self._notify_when_released, args=(txn, final), daemon=True).start()
        else:
            self.notify_soon(txn)

    def _notify_when_released(self, txn: Txn, final: str) -> None:
        txn.release.wait()
        if self.stopping.is_set():
            return
        txn.state = final
        self._notify(txn)

    def notify_soon(self, txn: Txn) -> None:
        threading.Thread(target=self._notify, args=(txn,), daemon=True).start()

    def _notify(self, txn: Txn) -> None:
        faults = self.faults_of(txn.reference)
        if DROP in faults:
            out(f"withheld {txn.reference}")
            return
        for _ in range(2 if DUPLICATE in faults else 1):
            self._send(txn, forged="forge" in faults)

    def _send(self, txn: Txn, *, forged: bool) -> None:
        try:
            if txn.protocol == "vnpay":
                answer = self.session.get(
                    txn.notify_url, params=self.vnp_result(txn, forged=forged), timeout=30
                )
                code = str(answer.json().get("RspCode"))
            else:
                body = self.kp_result(txn, forged=forged)
                answer = self.session.post(txn.notify_url, json=body, timeout=30)
                code = str(answer.json().get("return_code"))
            status = answer.status_code
        except (requests.RequestException, ValueError, AttributeError):
            code, status = "error", 0
        txn.answers.append(code)
        out(f"notified {txn.reference} {code} {status}")

    # -- what it says back, signed -----------------------------------------------------------------

    def vnp_result(self, txn: Txn, *, forged: bool = False) -> dict[str, str]:
        """The return's and the IPN's vnp_ fields (the same, as VNPay sends them)."""
        code = "00" if forged else txn.code
        status = "01" if txn.state == "processing" else ("00" if code == "00" else "02")
        params = {
            "vnp_Amount": str(txn.collected * 100),
            "vnp_BankCode": "NCB",
            "vnp_BankTranNo": "VNP" + txn.number,
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": txn.reported_dossier,
            "vnp_PayDate": txn.paid_at,
            "vnp_ResponseCode": code,
            "vnp_TmnCode": self.merchant,
            "vnp_TransactionNo": txn.number,
            "vnp_TransactionStatus": status,
            "vnp_TxnRef": txn.reference,
        }
        key = NOT_THE_SECRET if forged else self.secret
        params["vnp_SecureHash"] = hmac_hex(key, vnp_hash_data(params), "sha512")
        return params

    def kp_fields(self, txn: Txn, *, forged: bool = False) -> dict[str, str]:
        status = "0" if forged else ("1" if txn.state in ("new", "deciding", "processing") else txn.code)
        return {
            "client_id": self.merchant,
            "transaction_id": txn.reference,
            "transaction_code": "KP" + txn.number,
            "trans_amount": str(txn.collected),
            "addition_fee": "0",
            "payment_fee": "0",
            "command": "PAY",
            "version": "3.0",
            "status": status,
            "MaHoSo": txn.reported_dossier,
        }

    def kp_sign(self, fields: dict[str, str], *, forged: bool = False) -> str:
        """KeyPay's callback checksum: HMAC-SHA256 with hash_key_2 over OpenCPS's six fields
        (addition_fee|client_id|command|trans_amount|transaction_id|version), then the status,
        the platform's transaction code and the dossier code, so none can be changed unseen."""
        names = (
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
        data = "|".join(fields[n] for n in names)
        return hmac_hex(NOT_THE_SECRET if forged else self.callback_secret, data, "sha256")

    def kp_result(self, txn: Txn, *, forged: bool = False) -> dict[str, str]:
        fields = self.kp_fields(txn, forged=forged)
        return {**fields, "check_sum": self.kp_sign(fields, forged=forged)}


def page(title: str, body: str, status: int = 200) -> Response:
    text = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Response(text, status=status, mimetype="text/html")


def choice_form(protocol: str, txn: Txn) -> str:
    action = html.escape(f"/{protocol}/pay/{txn.reference}/decide")
    return (
        f"<p>{html.escape(txn.dossier)}: {txn.amount:,} VND</p>"
        f'<form method="post" action="{action}">'
        '<button name="choice" value="pay">Thanh toán</button> '
        '<button name="choice" value="cancel">Hủy giao dịch</button></form>'
    )


def create_app(gateway: Gateway) -> Flask:
    app = Flask(__name__)

    def refuse(reference: str, why: str, status: int = 400) -> Response:
        out(f"refused-request {reference or '-'} {why}")
        return page("Yêu cầu thanh toán không hợp lệ", f"<p>{html.escape(why)}</p>", status)

    # -- VNPay -----------------------------------------------------------------------------------

    @app.get("/vnpay/pay")
    def vnpay_pay() -> Response:
        params = request.args.to_dict()
        reference = params.get("vnp_TxnRef", "")
        given = params.get("vnp_SecureHash", "").lower()
        wanted = hmac_hex(gateway.secret, vnp_hash_data(params), "sha512")
        if not hmac.compare_digest(given, wanted):
            return refuse(reference, "invalid-signature")  # VNPay's code 97
        if params.get("vnp_TmnCode") != gateway.merchant:
            return refuse(reference, "unknown-merchant")
        amount = params.get("vnp_Amount", "")
        if not amount.isdigit() or int(amount) % 100 or int(amount) <= 0:
            return refuse(reference, "invalid-amount")
        if params.get("vnp_Version") != "2.1.0" or params.get("vnp_Command") != "pay":
            return refuse(reference, "unsupported-version")
        if params.get("vnp_ExpireDate", "99999999999999") < vn_time(datetime.now(UTC)):
            return refuse(reference, "expired")
        found = gateway.find("vnpay", reference)
        if found is None:
            order_info = params.get("vnp_OrderInfo", "")
            found = Txn(
                protocol="vnpay",
                reference=reference,
                amount=int(amount) // 100,
                dossier=order_info,  # echoed as given: the portal reads its dossier code there
                return_url=params.get("vnp_ReturnUrl", ""),
                notify_url=gateway.ipn_url,
                created=params.get("vnp_CreateDate", ""),
                request=params,
            )
            if not gateway.add(found):
                found = gateway.find("vnpay", reference)
        elif found.amount != int(amount) // 100:
            return refuse(reference, "duplicate-reference")
        assert found is not None
        return page("Cổng thanh toán (VNPay thử nghiệm)", choice_form("vnpay", found))

    @app.post("/vnpay/pay/<reference>/decide")
    def vnpay_decide(reference: str) -> Response:
        txn = gateway.find("vnpay", reference)
        if txn is None:
            return page("Không có giao dịch", "", 404)
        if not gateway.claim(txn):
            return page("Giao dịch đã xử lý", "", 409)
        gateway.decide(txn, request.form.get("choice", ""))
        forged = "forge" in gateway.faults_of(reference)
        back = gateway.vnp_result(txn, forged=forged)
        return redirect(txn.return_url + ("&" if "?" in txn.return_url else "?") + urlencode(back), 302)

    @app.post("/vnpay/querydr")
    def vnpay_query() -> Response:
        given = request.get_json(silent=True) or {}
        reference = str(given.get("vnp_TxnRef", ""))
        unusual = gateway_query_fault(reference)
        if unusual is not None:
            return unusual
        names = (
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
        data = "|".join(str(given.get(n, "")) for n in names)
        if not holds(given.get("vnp_SecureHash"), gateway.secret, data, "sha512"):
            return vnp_query_answer(given, "97", "Invalid Checksum", None, reference)
        if given.get("vnp_TmnCode") != gateway.merchant:
            return vnp_query_answer(given, "02", "Merchant is not valid", None, reference)
        txn = gateway.find("vnpay", reference)
        if txn is None or txn.created != str(given.get("vnp_TransactionDate", "")):
            return vnp_query_answer(given, "91", "Transaction not found", None, reference)
        return vnp_query_answer(given, "00", "QueryDR Success", txn, reference)

    def vnp_query_answer(given: dict, code: str, message: str, txn: Txn | None, reference: str) -> Response:
        state = {"new": "01", "deciding": "01", "processing": "01", "paid": "00", "failed": "02"}
        answer = {
            "vnp_ResponseId": secrets.token_hex(16),
            "vnp_Command": "querydr",
            "vnp_ResponseCode": code,
            "vnp_Message": message,
            "vnp_TmnCode": gateway.merchant,
            "vnp_TxnRef": reference,
            "vnp_Amount": str(txn.collected * 100) if txn else "",
            "vnp_BankCode": "NCB" if txn else "",
            "vnp_PayDate": txn.paid_at if txn else "",
            "vnp_TransactionNo": txn.number if txn else "",
            "vnp_TransactionType": "01",
            "vnp_TransactionStatus": state[txn.state] if txn else "",
            "vnp_OrderInfo": txn.reported_dossier if txn else "",
            "vnp_PromotionCode": "",
            "vnp_PromotionAmount": "",
        }
        names = (
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
        answer["vnp_SecureHash"] = hmac_hex(gateway.secret, "|".join(answer[n] for n in names), "sha512")
        out(f"queried {reference or '-'} {code}")
        return jsonify(answer)

    # -- KeyPay (the national payment platform) -----------------------------------------------------

    @app.post("/keypay/transactions")
    def keypay_create() -> Response:
        given = request.get_json(silent=True) or {}
        reference = str(given.get("transaction_id", ""))
        names = ("addition_fee", "client_id", "command", "trans_amount", "transaction_id", "version")
        data = "|".join(str(given.get(n, "")) for n in names)
        if not holds(given.get("check_sum"), gateway.secret, data, "sha256"):
            out(f"refused-request {reference or '-'} invalid-checksum")
            return jsonify({"error": "2", "msg": "check_sum invalid"})
        if given.get("client_id") != gateway.merchant:
            out(f"refused-request {reference or '-'} unknown-merchant")
            return jsonify({"error": "1", "msg": "client_id invalid"})
        bill = given.get("bill_info") if isinstance(given.get("bill_info"), dict) else {}
        amount = str(given.get("trans_amount", ""))
        fees = bill.get("PhiLePhi") if isinstance(bill.get("PhiLePhi"), list) else []
        try:
            total = sum(int(fee["SoTien"]) for fee in fees)
        except (KeyError, TypeError, ValueError):
            total = -1
        if not amount.isdigit() or int(amount) <= 0 or total != int(amount):
            out(f"refused-request {reference or '-'} invalid-bill")
            return jsonify({"error": "4", "msg": "bill_info does not add up to trans_amount"})
        txn = Txn(
            protocol="keypay",
            reference=reference,
            amount=int(amount),
            dossier=str(bill.get("MaHoSo") or ""),  # none yet when paid before it is sent
            return_url=str(given.get("return_url", "")),
            notify_url=str(given.get("callback_url", "")),
            created=vn_time(datetime.now(UTC)),
            request=given,
        )
        if not gateway.add(txn):
            out(f"refused-request {reference} duplicate-reference")
            return jsonify({"error": "3", "msg": "transaction_id already used"})
        pay_here = f"{request.host_url}keypay/pay/{reference}"
        return jsonify({"error": "0", "msg": "success", "payment_url": pay_here})

    @app.get("/keypay/pay/<reference>")
    def keypay_pay(reference: str) -> Response:
        txn = gateway.find("keypay", reference)
        if txn is None:
            return page("Không có giao dịch", "", 404)
        return page("Nền tảng thanh toán (KeyPay thử nghiệm)", choice_form("keypay", txn))

    @app.post("/keypay/pay/<reference>/decide")
    def keypay_decide(reference: str) -> Response:
        txn = gateway.find("keypay", reference)
        if txn is None:
            return page("Không có giao dịch", "", 404)
        if not gateway.claim(txn):
            return page("Giao dịch đã xử lý", "", 409)
        gateway.decide(txn, request.form.get("choice", ""))
        back = gateway.kp_result(txn, forged="forge" in gateway.faults_of(reference))
        return redirect(txn.return_url + ("&" if "?" in txn.return_url else "?") + urlencode(back), 302)

    @app.post("/keypay/transactions/detail")
    def keypay_query() -> Response:
        given = request.get_json(silent=True) or {}
        reference = str(given.get("transaction_id", ""))
        unusual = gateway_query_fault(reference)
        if unusual is not None:
            return unusual
        data = "|".join(str(given.get(n, "")) for n in ("client_id", "command", "transaction_id"))
        if not holds(given.get("check_sum"), gateway.secret, data, "sha256"):
            out(f"queried {reference or '-'} invalid-checksum")
            return jsonify({"error": "2", "msg": "check_sum invalid"})
        txn = gateway.find("keypay", reference)
        if txn is None or given.get("client_id") != gateway.merchant:
            out(f"queried {reference or '-'} unknown")
            return jsonify({"error": "1", "msg": "transaction not found"})
        out(f"queried {reference} ok")
        result = gateway.kp_result(txn)
        return jsonify({"error": "0", "msg": KP_STATUS.get(result["status"], ""), **result})

    def gateway_query_fault(reference: str) -> Response | None:
        faults = gateway.faults_of(reference)
        if "query-unavailable" in faults:
            out(f"queried {reference or '-'} 503")
            return Response("Service Unavailable", status=503)
        if "query-garbage" in faults:
            out(f"queried {reference or '-'} garbage")
            return Response("<html>maintenance</html>", status=200, mimetype="text/html")
        if "query-timeout" in faults:
            out(f"queried {reference or '-'} held")
            gateway.stopping.wait(timeout=60)  # the client gives up first; answered at the end
            return Response("too late", status=504)
        return None

    # -- control (tests) ---------------------------------------------------------------------------

    @app.post("/_control/faults")
    def control_faults() -> Response:
        given = request.get_json(silent=True) or {}
        faults = set(given.get("faults") or [])
        unknown = sorted(faults - FAULTS.keys())
        if unknown:
            return jsonify({"error": f"unknown faults {unknown}", "known": sorted(FAULTS)}), 400
        with gateway.lock:
            if given.get("reference"):
                gateway.by_reference[str(given["reference"])] = faults
            else:
                gateway.faults = faults
        return jsonify({"faults": sorted(faults), "reference": given.get("reference")})

    @app.post("/_control/release/<reference>")
    def control_release(reference: str) -> Response:
        txn = gateway.find("vnpay", reference) or gateway.find("keypay", reference)
        if txn is None:
            return jsonify({"error": "no such transaction"}), 404
        txn.release.set()
        return jsonify({"released": reference}), 202

    @app.post("/_control/merchant")
    def control_merchant() -> Response:
        given = request.get_json(silent=True) or {}
        gateway.ipn_url = str(given.get("ipn_url", gateway.ipn_url))
        return jsonify({"ipn_url": gateway.ipn_url})

    @app.get("/_control/transactions/<reference>")
    def control_transaction(reference: str) -> Response:
        txn = gateway.find("vnpay", reference) or gateway.find("keypay", reference)
        if txn is None:
            return jsonify({"error": "no such transaction"}), 404
        return jsonify(txn.view())

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    args = parser.parse_args(argv)
    secret = os.environ.get("PAYGATE_SECRET", "")
    if len(secret) < 16:
        sys.exit("PAYGATE_SECRET: the merchant's secret, at least 16 characters, is required")
    faults = {f for f in os.environ.get("PAYGATE_FAULTS", "").split(",") if f}
    if faults - FAULTS.keys():
        sys.exit(f"PAYGATE_FAULTS: unknown {sorted(faults - FAULTS.keys())}; known: {sorted(FAULTS)}")
    gateway = Gateway(
        secret=secret,
        callback_secret=os.environ.get("PAYGATE_CALLBACK_SECRET") or secret,
        merchant=os.environ.get("PAYGATE_MERCHANT", "OPENDVC01"),
        ipn_url=os.environ.get("PAYGATE_IPN_URL", ""),
        faults=faults,
    )
    server = make_server("127.0.0.1", args.port, create_app(gateway), threaded=True)
    out(f"paygate on http://127.0.0.1:{server.server_port}")
    try:
        server.serve_forever()
    finally:
        gateway.stopping.set()
        for txn in list(gateway.txns.values()):
            txn.release.set()


if __name__ == "__main__":
    main()
