"""Notifications as an applicant receives them: a portal that sends to the real test SMTP server
(tests/mailserver.py), dossiers submitted through the services, status events through the API."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage, Message

from flask import Flask

from app.delivery.worker import Outcome, deliver_due
from app.dossiers.models import Dossier
from app.extensions import db
from app.journey import submission
from app.outbox.models import NOTIFICATION, OutboxMessage
from tests.backoffice.fixtures import DEFINITION, SECRET
from tests.conftest import TEST_CATALOG
from tests.factories import SignedFactory

CHANNELS = ["email", "sms", "message-app"]
ANSWERED_EMAIL = "thuha.nguyen@example.vn"  # what tests/journey answers for an email field
ANSWERED_PHONE = "0912345678"


def portal(make_app, mail_server, **config: object) -> Flask:
    """A portal offering every channel, its mail going to `mail_server`, its back office
    `filesystem` posting events signed with SECRET."""
    settings: dict[str, object] = {
        "CATALOG_DIR": TEST_CATALOG,
        "BACKOFFICE_SECRETS": {"filesystem": SECRET},
        "NOTIFICATION_CHANNELS": CHANNELS,
        **mail_server.settings,
        **config,
    }
    return make_app(**settings)


@dataclass(frozen=True)
class Submitted:
    id: int
    code: str
    public_id: str
    secret: str


def submit(
    app: Flask, key: tuple[bytes, str], *, locale: str = "en", account_id: int | None = None
) -> Submitted:
    """A dossier signed with `key` and submitted, started in `locale`, owned by `account_id`."""
    with app.test_request_context():
        made = SignedFactory(procedure=DEFINITION.code, key=key, locale=locale)
        made.dossier.account_id = account_id
        submission.submit(made.dossier)
        dossier = made.dossier
        assert dossier.code is not None
        return Submitted(dossier.id, dossier.code, dossier.public_id, made.secret)


def deliver(app: Flask) -> Outcome:
    with app.app_context():
        return deliver_due()


def notification_keys(app: Flask) -> dict[str, str]:
    """Every notification queued: its idempotency key -> its state."""
    with app.app_context():
        rows = db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.kind == NOTIFICATION).order_by(OutboxMessage.id)
        )
        return {m.idempotency_key: m.state for m in rows}


def dossier_of(app: Flask, code: str) -> Dossier:
    with app.app_context():
        found = db.session.scalars(db.select(Dossier).where(Dossier.code == code)).one()
        db.session.expunge(found)
        return found


def text_of(message: Message) -> str:
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content()


def html_of(message: Message) -> str:
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return body.get_content()
