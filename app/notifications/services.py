"""Queueing notifications with the change that caused them, and sending one from the worker.

`notify` runs in the caller's transaction and never commits: the notification is queued with
the state change, or not at all. Who hears of it, and on which channels: an account's holder
on the channels chosen in the profile (email only once verified; SMS and the message app on
the profile's phone); an anonymous applicant at the email and phone left on the dossier (from
the form's answers at submission, or the contact form afterwards). Each channel offered by the
deployment (OPENDVC_NOTIFICATION_CHANNELS) and chosen gets one outbox row, keyed
`<dossier id>-<event id>-<channel>` (`<dossier id>-TT<payment id>-<channel>` for a payment
received, `notify_paid`): queueing the same cause twice queues nothing more."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from flask import current_app, url_for
from sqlalchemy import select

from app.accounts.models import Account
from app.backoffice.adapters import DeliveryRefused
from app.dossiers.models import Dossier, DossierEvent
from app.extensions import db
from app.i18n import LOCALES
from app.notifications.content import Content, FeeDue, PaymentReceived, render, render_paid
from app.notifications.models import Notification
from app.notifications.senders import Outgoing, get_senders
from app.outbox.models import OutboxMessage
from app.outbox.queue import enqueue_notification


def recipients(dossier: Dossier) -> dict[str, str]:
    """Channel -> recipient, for the channels the applicant chose and the deployment offers."""
    chosen: dict[str, str] = {}
    account = db.session.get(Account, dossier.account_id) if dossier.account_id is not None else None
    if account is not None:
        if account.notify_email and account.email and account.email_verified_at is not None:
            chosen["email"] = account.email
        if account.notify_sms and account.phone:
            chosen["sms"] = account.phone
        if account.notify_app and account.phone:
            chosen["message-app"] = account.phone
    else:
        if dossier.applicant_email:
            chosen["email"] = dossier.applicant_email
        if dossier.applicant_phone:
            chosen["sms"] = dossier.applicant_phone
    offered = get_senders().channels
    return {channel: to for channel, to in chosen.items() if channel in offered}


def _locale(dossier: Dossier, account: Account | None) -> str:
    for wanted in (account.locale if account else None, dossier.locale):
        if wanted in LOCALES:
            return wanted
    return "vi"


def _link(dossier: Dossier) -> str:
    """The dossier's address on the public URL, without its secret: an account holder opens it
    signed in; an anonymous applicant lands on the tracking page, the code filled in, and types
    the access code from the acknowledgement."""
    if dossier.account_id is not None:
        return url_for("apply.dossier", public_id=dossier.public_id, _external=True)
    return url_for("track.track", code=dossier.code, _external=True)


def notify(
    dossier: Dossier,
    event: DossierEvent,
    *,
    fees: Sequence[FeeDue] = (),
    result_codes: Sequence[str] = (),
) -> list[OutboxMessage]:
    """Queue the notification of `event` (the dossier's history row just recorded) on every
    channel, inside the caller's transaction; what was queued (nothing already queued)."""
    if dossier.code is None:
        raise ValueError(f"dossier {dossier.public_id} is notified before it has a code")
    if event.id is None:
        db.session.flush()  # the history row's id is part of the key
    to = recipients(dossier)
    if not to:
        return []
    account = db.session.get(Account, dossier.account_id) if dossier.account_id is not None else None
    locale = _locale(dossier, account)
    name = (account.name if account else None) or dossier.applicant_name
    content = render(
        dossier,
        event,
        locale=locale,
        link=_link(dossier),
        name=name,
        fees=list(fees),
        result_codes=list(result_codes),
    )
    return _queue(dossier, to, content, locale, cause=str(event.id), event_id=event.id)


def notify_paid(dossier: Dossier, *, payment_id: int, paid: PaymentReceived) -> list[OutboxMessage]:
    """Queue the notification that payment `payment_id` was received, on every channel, inside
    the caller's transaction (the settlement); keyed `<dossier id>-TT<payment id>-<channel>`:
    one per payment, however often it is settled."""
    if dossier.code is None:
        raise ValueError(f"dossier {dossier.public_id} is notified before it has a code")
    to = recipients(dossier)
    if not to:
        return []
    account = db.session.get(Account, dossier.account_id) if dossier.account_id is not None else None
    locale = _locale(dossier, account)
    name = (account.name if account else None) or dossier.applicant_name
    content = render_paid(dossier, paid, locale=locale, link=_link(dossier), name=name)
    return _queue(dossier, to, content, locale, cause=f"TT{payment_id}", payment_id=payment_id)


def _queue(
    dossier: Dossier,
    to: dict[str, str],
    content: Content,
    locale: str,
    *,
    cause: str,
    event_id: int | None = None,
    payment_id: int | None = None,
) -> list[OutboxMessage]:
    """One outbox message and its content per channel, keyed `<dossier id>-<cause>-<channel>`
    (in the caller's transaction); a key already queued is skipped: one per cause and channel."""
    queued = []
    for channel, recipient in to.items():
        message = enqueue_notification(dossier, key=f"{dossier.id}-{cause}-{channel}", channel=channel)
        if message is None:
            continue
        email = channel == "email"
        db.session.add(
            Notification(
                outbox_id=message.id,
                dossier_id=dossier.id,
                event_id=event_id,
                payment_id=payment_id,
                channel=channel,
                recipient=recipient,
                locale=locale,
                subject=content.subject[:255],
                text=content.text if email else content.short,
                html=content.html if email else None,
            )
        )
        queued.append(message)
    return queued


def message_id(key: str) -> str:
    """The same Message-ID on every attempt, so that a mail sent twice (a worker that died after
    sending, before recording it) is one message to the reader's mail program."""
    host = urlsplit(current_app.config["OPENDVC"].PUBLIC_URL).hostname or "opendvc"
    return f"<{key}@{host}>"


def send_notification(message: OutboxMessage) -> str:
    """Send a queued notification through its channel's sender (the delivery worker, outside any
    transaction); the reference to keep. Raises DeliveryFailed to be tried again."""
    found = db.session.scalar(select(Notification).where(Notification.outbox_id == message.id))
    if found is None:
        raise DeliveryRefused(f"notification {message.idempotency_key} has no content")
    outgoing = Outgoing(
        key=message.idempotency_key,
        message_id=message_id(message.idempotency_key),
        recipient=found.recipient,
        subject=found.subject,
        text=found.text,
        html=found.html,
    )
    return get_senders().for_channel(found.channel).send(message=outgoing)
