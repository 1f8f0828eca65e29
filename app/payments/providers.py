"""Payment providers: the protocol, the registry, and the demonstration providers.

A provider is a class found through the `opendvc.payments` entry point group, like the
back-office adapters: it declares an `Options` model, validated at start-up from
`OPENDVC_PAYMENT_OPTIONS[<its name>]`, and implements the four steps of a payment:

- `start`: where to send the applicant's browser to pay an order;
- `returned`: read (and check) what the browser brings back. It never settles a payment: a
  browser can be made to say anything. The portal then asks the provider (`query`);
- `notified`: read and check the provider's server-to-server notification (IPN, callback),
  then `acknowledge` answers it in the provider's own terms;
- `query`: ask the provider about one transaction (the return page, and reconciliation).

A report names our reference, the amount and the dossier code the provider saw; the portal
checks them against what was asked (app.payments.services.settle). A checksum that does not
hold raises Forged; a provider that cannot be reached raises Unavailable. All methods take
keyword arguments only.

`OPENDVC_PAYMENT_PROVIDERS` lists the providers offered to applicants, in order; empty, fees
are shown and not paid online.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from flask import current_app
from pydantic import BaseModel, ConfigDict

from app import plugins
from app.config import ConfigError
from app.texts import Text

GROUP = "opendvc.payments"

# What a provider says of a transaction.
State = Literal["paid", "failed", "pending", "unknown"]


class Forged(Exception):
    """A return or a notification whose checksum (or signature) does not hold."""


class Unavailable(Exception):
    """The provider could not be asked now (down, timed out, an answer that makes no sense)."""


@dataclass(frozen=True)
class Item:
    """One fee of an order: phí or lệ phí, its code, its Vietnamese name, its amount in VND."""

    code: str
    kind: str
    name: str
    amount: int


@dataclass(frozen=True)
class Order:
    """What one payment asks the provider to collect."""

    reference: str  # Payment.reference: the transaction's reference at the provider
    dossier_code: str  # mã hồ sơ
    amount: int  # VND, the items' sum
    items: tuple[Item, ...]
    description: str  # Vietnamese: "Nộp phí hồ sơ <code>"
    applicant_name: str
    locale: str  # the applicant's language: vi or en
    return_url: str  # where the provider sends the browser back
    notify_url: str  # where the provider posts its notification
    client_ip: str
    created_at: datetime  # aware, UTC


@dataclass(frozen=True)
class Redirect:
    """Where to send the browser: a GET to `url`, or a POST of `fields` to it (auto-submitted)."""

    url: str
    method: Literal["GET", "POST"] = "GET"
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """What the provider says of one transaction, as it said it (checked by `settle`)."""

    reference: str  # ours, as the provider echoes it
    state: State
    amount: int | None = None  # VND, as the provider collected it
    dossier_code: str | None = None  # as the provider echoes it, when its protocol carries it
    provider_reference: str | None = None  # the gateway's own transaction number
    code: str | None = None  # the provider's response code
    message: str | None = None  # what it means, for the staff's page and the logs


@dataclass(frozen=True)
class Answer:
    """The reply to a provider's notification, in its own terms."""

    status: int
    body: str
    media_type: str = "application/json"


# What settling a notification came to, for `acknowledge`.
# settled: applied now; already: applied before (a repeat); pending: the provider says not yet;
# unknown: no such payment here; forged: the checksum does not hold; mismatch: the amount or the
# dossier is not what was asked.
Outcome = Literal["settled", "already", "pending", "unknown", "forged", "mismatch"]


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PaymentProvider:
    name: ClassVar[str]
    title: ClassVar[Text]  # what the applicant chooses: "Nền tảng thanh toán quốc gia"
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, *, options: BaseModel) -> None:
        self.options = options

    def check(self) -> None:
        """Raise ValueError naming the setting when the configuration cannot work."""

    def start(self, *, order: Order) -> Redirect:
        raise NotImplementedError

    def returned(self, *, params: Mapping[str, str]) -> Report:
        """What the browser brought back; raises Forged when its checksum does not hold."""
        raise NotImplementedError

    def notified(self, *, params: Mapping[str, str], body: bytes) -> Report:
        """The provider's notification (its query string, or its body); raises Forged."""
        raise NotImplementedError

    def acknowledge(self, *, outcome: Outcome) -> Answer:
        """The reply the provider expects to what its notification came to."""
        ok = outcome in ("settled", "already", "pending")
        return Answer(200 if ok else 400, json.dumps({"ok": ok, "outcome": outcome}))

    def query(self, *, reference: str, amount: int, started_at: datetime) -> Report:
        """Ask the provider about one transaction; raises Unavailable."""
        raise NotImplementedError


def load_providers() -> dict[str, type[PaymentProvider]]:
    return plugins.load(GROUP, PaymentProvider)


class DemoProvider(PaymentProvider):
    """Pays at once: `make run`, demonstrations, the browser tests. The browser is sent straight
    back, and the query that follows says paid. Never offer it in production."""

    name = "demo"
    title = Text(vi="Thanh toán thử (không trừ tiền)", en="Demonstration payment (nothing is charged)")

    def start(self, *, order: Order) -> Redirect:
        return Redirect(
            order.return_url + ("&" if "?" in order.return_url else "?") + "ref=" + order.reference
        )

    def returned(self, *, params: Mapping[str, str]) -> Report:
        return Report(reference=params.get("ref", ""), state="pending")

    def notified(self, *, params: Mapping[str, str], body: bytes) -> Report:
        raise Forged("the demonstration provider sends no notification")

    def query(self, *, reference: str, amount: int, started_at: datetime) -> Report:
        return Report(
            reference=reference, state="paid", amount=amount, provider_reference=f"DEMO-{reference}"
        )


class FailingProvider(DemoProvider):
    """Never pays: for tests and demonstrations of a refused payment."""

    name = "failing"
    title = Text(vi="Thanh toán thử luôn bị từ chối", en="Demonstration payment that is always refused")

    def query(self, *, reference: str, amount: int, started_at: datetime) -> Report:
        return Report(
            reference=reference, state="failed", code="refused", message="the failing provider never pays"
        )


class Providers:
    """The providers offered to applicants (OPENDVC_PAYMENT_PROVIDERS), their options checked."""

    def __init__(self, settings: Any) -> None:
        known = load_providers()
        given: dict[str, dict[str, Any]] = settings.PAYMENT_OPTIONS
        unknown = sorted(given.keys() - known.keys())
        if unknown:
            raise ConfigError(
                f"OPENDVC_PAYMENT_OPTIONS: unknown provider(s) {unknown}; known: {sorted(known)}"
            )
        self.by_name: dict[str, PaymentProvider] = {}
        for name in settings.PAYMENT_PROVIDERS:
            if name not in known:
                names = ", ".join(sorted(known))
                raise ConfigError(f"OPENDVC_PAYMENT_PROVIDERS: unknown provider {name!r} (known: {names})")
            provider = plugins.configure(
                known[name],
                given.get(name, {}),
                setting=f"OPENDVC_PAYMENT_OPTIONS[{name}]",
                label=f"payment provider {name}",
            )
            self.by_name[name] = provider

    @property
    def offered(self) -> list[str]:
        return list(self.by_name)

    def __bool__(self) -> bool:
        return bool(self.by_name)

    def __getitem__(self, name: str) -> PaymentProvider:
        return self.by_name[name]

    def get(self, name: str) -> PaymentProvider | None:
        return self.by_name.get(name)


def get_providers() -> Providers:
    return current_app.extensions["opendvc.payments"]
