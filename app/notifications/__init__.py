"""Notifications to applicants: on submission, acceptance, every later status change (an
extension of the promised date too), a supplement request, a fee request, a payment received
and the result.

Queued through the outbox in the transaction of the change that caused them (services.notify),
one message per cause and channel, their recipient and content fixed then (models.Notification);
sent by the delivery worker with its retries (send_notification), through the sender configured
for each channel (senders.py, entry point group `opendvc.senders`). docs/notifications.md."""

from __future__ import annotations

from flask import Flask

from app.notifications.content import PaymentReceived
from app.notifications.senders import Senders
from app.notifications.services import notify, notify_paid, send_notification

__all__ = ["PaymentReceived", "init_app", "notify", "notify_paid", "send_notification"]


def init_app(app: Flask) -> None:
    """The senders of the channels offered, their options checked: a wrong one stops start-up."""
    app.extensions["opendvc.senders"] = Senders(app.config["OPENDVC"])
