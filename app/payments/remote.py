"""What the providers that speak to a real gateway share: the address check of their settings,
a JSON POST whose every failure is Unavailable, checksums compared in constant time, and the
gateway's clock (GMT+7)."""

from __future__ import annotations

import hmac
import ipaddress
import json
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel

from app.payments.providers import PaymentProvider, Unavailable

VIETNAM = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has kept +07:00 since 1975
MAX_ANSWER = 64 * 1024  # a status answer is small: a gateway cannot make the portal hold more


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(name: str, url: str) -> None:
    """A gateway address: https, or http to this machine (a test gateway, a local proxy)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ValueError(f"{name} must be https:// unless the gateway runs on this machine")


class GatewayProvider(PaymentProvider):
    """A provider that speaks to a gateway over HTTP: one session, its pay and query addresses
    (`pay_url`, `query_url` in its options) checked at start-up."""

    def __init__(self, *, options: BaseModel) -> None:
        super().__init__(options=options)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "OpenDVC"

    def check(self) -> None:
        check_url("pay_url", self.options.pay_url)  # type: ignore[attr-defined]
        check_url("query_url", self.options.query_url)  # type: ignore[attr-defined]


def vn_time(moment: datetime) -> str:
    """yyyyMMddHHmmss in Vietnam's time, as the gateways write dates."""
    return moment.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


def same(given: object, expected: str) -> bool:
    """Whether a checksum given (any case, any type) is the one expected, in constant time."""
    return isinstance(given, str) and hmac.compare_digest(
        given.lower().encode("utf-8", "replace"), expected.lower().encode()
    )


def post_json(session: requests.Session, url: str, payload: dict[str, Any], *, timeout: float) -> dict:
    """POST `payload` as JSON and read a JSON object back; anything else is Unavailable (the
    error names what happened, never the payload: it may carry a checksum)."""
    try:
        answer = session.post(url, json=payload, timeout=timeout, stream=True)
        with answer:
            body = answer.raw.read(MAX_ANSWER + 1, decode_content=True)
    except requests.RequestException as exc:
        raise Unavailable(f"{type(exc).__name__} asking {urlsplit(url).netloc}") from None
    if answer.status_code >= 500:
        raise Unavailable(f"the gateway answered {answer.status_code}")
    if len(body) > MAX_ANSWER:
        raise Unavailable("the gateway's answer is too large")
    try:
        found = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
        raise Unavailable(f"the gateway's answer ({answer.status_code}) is not JSON") from None
    if not isinstance(found, dict):
        raise Unavailable("the gateway's answer is not a JSON object")
    return found


def text(value: object) -> str:
    """A field of a gateway's answer as text (JSON gives numbers where strings are meant)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        # A lone surrogate (JSON's "\\ud800") has no UTF-8: it cannot be what was signed.
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, (int, float)):
        return str(value)
    return ""  # a list or an object where a field's text is meant: nothing that was signed


def amount_of(value: object, *, scale: int = 1) -> int | None:
    """An amount in VND from a gateway's field (VNPay's is ×100); None when it is not one."""
    raw = text(value)
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or int(raw) % scale:
        return None
    return int(raw) // scale
