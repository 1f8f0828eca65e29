"""Senders: how a notification leaves the portal on one channel.

A sender is a class found through the `opendvc.senders` entry point group, like the back-office
adapters: it declares an `Options` model, validated at start-up from
`OPENDVC_SENDER_OPTIONS[<its name>]`, and implements `send`. Each channel (email, sms,
message-app) is served by the sender its setting names (OPENDVC_EMAIL_SENDER, OPENDVC_SMS_SENDER,
OPENDVC_MESSAGE_APP_SENDER). Each province contracts its own SMS gateway and message app (Zalo
and the like), so only logging senders ship for those two; a province's gateway is one more
entry point.

`send` runs in the delivery worker, outside any transaction, and may be called again for the
same message after a crash: it must pass `message.key` (and, for email, the Message-ID derived
from it) to the gateway so that a repeat can be recognised. Failing to send raises
DeliveryFailed (tried again with backoff) or DeliveryRefused (given up at once).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import current_app
from pydantic import BaseModel, ConfigDict

from app import mail, plugins
from app.backoffice.adapters import DeliveryFailed
from app.config import ConfigError

GROUP = "opendvc.senders"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """A notification as it was fixed when queued: its recipient and rendered content."""

    key: str  # the outbox idempotency key, `<dossier id>-<event id>-<channel>`
    message_id: str  # `<key@host>`: the same on every attempt
    recipient: str  # an email address, or a phone number in its national form
    subject: str
    text: str
    html: str | None


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sender:
    name: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, *, options: BaseModel) -> None:
        self.options = options

    def check(self) -> None:
        """Raise ValueError naming the setting when the configuration cannot work."""

    def send(self, *, message: Outgoing) -> str:
        """Send it; return the reference kept with the outbox row (the gateway's, or the
        Message-ID)."""
        raise NotImplementedError


def load_senders() -> dict[str, type[Sender]]:
    return plugins.load(GROUP, Sender)


def masked(recipient: str) -> str:
    """A phone number or an address as logs may show it: 09******78, n***@example.vn."""
    if "@" in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = re.sub(r"\D", "", recipient)
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


class EmailSender(Sender):
    """Email through app.mail (OPENDVC_SMTP_*), with the Message-ID derived from the key."""

    name = "email"

    def send(self, *, message: Outgoing) -> str:
        composed = mail.compose(
            message.recipient, message.subject, message.text, message.html, message_id=message.message_id
        )
        try:
            mail.send(composed)
        except mail.MailError as exc:
            raise DeliveryFailed(f"mail not sent: {exc}") from None
        return message.message_id


class SmsLogSender(Sender):
    """Writes each SMS to the log (the number masked) instead of sending it: development, tests,
    and a province whose SMS gateway has no sender yet."""

    name = "sms-log"
    channel = "SMS"

    def send(self, *, message: Outgoing) -> str:
        logger.info("%s to %s [%s]: %s", self.channel, masked(message.recipient), message.key, message.text)
        return message.key


class MessageAppLogSender(SmsLogSender):
    """Writes each message-app message (Zalo and the like) to the log, the number masked."""

    name = "message-app-log"
    channel = "message app"


class FailingSender(Sender):
    """Never sends: for tests and demonstrations of the failure path."""

    name = "failing"

    def send(self, *, message: Outgoing) -> str:
        raise DeliveryFailed("the failing sender never sends")


# Each channel and the setting that names its sender.
CHANNELS = {"email": "EMAIL_SENDER", "sms": "SMS_SENDER", "message-app": "MESSAGE_APP_SENDER"}


class Senders:
    """The sender of each channel the deployment offers (OPENDVC_NOTIFICATION_CHANNELS)."""

    def __init__(self, settings: Any) -> None:
        known = load_senders()
        given: dict[str, dict] = settings.SENDER_OPTIONS
        unknown = sorted(given.keys() - known.keys())
        if unknown:
            raise ConfigError(f"OPENDVC_SENDER_OPTIONS: unknown sender(s) {unknown}; known: {sorted(known)}")
        wrong = [c for c in settings.NOTIFICATION_CHANNELS if c not in CHANNELS]
        if wrong:
            raise ConfigError(
                f"OPENDVC_NOTIFICATION_CHANNELS: unknown channel(s) {wrong}; known: {', '.join(CHANNELS)}"
            )
        made: dict[str, Sender] = {}
        self.by_channel: dict[str, Sender] = {}
        for channel in settings.NOTIFICATION_CHANNELS:
            setting = CHANNELS[channel]
            name = getattr(settings, setting)
            if name not in known:
                names = ", ".join(sorted(known))
                raise ConfigError(f"OPENDVC_{setting}: unknown sender {name!r} (known: {names})")
            if name not in made:
                made[name] = plugins.configure(
                    known[name],
                    given.get(name, {}),
                    setting=f"OPENDVC_SENDER_OPTIONS[{name}]",
                    label=f"sender {name}",
                )
            self.by_channel[channel] = made[name]

    @property
    def channels(self) -> list[str]:
        return list(self.by_channel)

    def for_channel(self, channel: str) -> Sender:
        sender = self.by_channel.get(channel)
        if sender is None:  # queued while the channel was offered, no longer offered now
            raise DeliveryFailed(f"no sender for channel {channel!r}: OPENDVC_NOTIFICATION_CHANNELS")
        return sender


def get_senders() -> Senders:
    return current_app.extensions["opendvc.senders"]
