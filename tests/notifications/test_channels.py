"""Which channels a notification goes out on: an account's choice (email once verified; SMS and
the message app on its phone), an anonymous applicant's email and phone; SMS and message-app
messages written to the log with the number masked; senders checked at start-up."""

from __future__ import annotations

import logging

import pytest

from app import clock, create_app
from app.backoffice.adapters import DeliveryFailed
from app.config import ConfigError
from app.dossiers.models import Dossier
from app.extensions import db
from app.notifications.senders import NoOptions, Outgoing, load_senders
from app.outbox.models import NOTIFICATION, OutboxMessage
from tests.accounts import make_account
from tests.backoffice.fixtures import DEFINITION
from tests.events import accept, event_body, post_event
from tests.notifications import (
    ANSWERED_EMAIL,
    deliver,
    notification_keys,
    portal,
    submit,
    text_of,
)

SENDERS = "app.notifications.senders"


def channels(app, dossier_id: int) -> list[str]:
    """The channels the dossier's notifications were queued on (keys `<dossier>-<event>-<channel>`)."""
    return sorted(key.split("-", 2)[2] for key in notification_keys(app) if key.startswith(f"{dossier_id}-"))


def account(app, **particulars: object) -> int:
    with app.app_context():
        return make_account(**particulars).id


def test_an_account_is_notified_on_the_channels_it_chose(make_app, mail_server, citizen_key, caplog):
    app = portal(make_app, mail_server)
    holder = account(
        app,
        email="lan.tran@example.vn",
        email_verified_at=clock.now(),
        phone="0987654321",
        notify_email=True,
        notify_sms=True,
        notify_app=True,
        locale="vi",
        name="Trần Thị Lan",
    )
    dossier = submit(app, citizen_key, locale="en", account_id=holder)
    with caplog.at_level(logging.INFO, logger=SENDERS):
        outcome = deliver(app)
    assert sorted(k.split("-", 2)[2] for k in outcome.delivered if k != dossier.code) == [
        "email",
        "message-app",
        "sms",
    ]
    [mail] = mail_server.messages()
    assert mail["To"] == "lan.tran@example.vn"  # the account's, not the form's answer
    assert "Kính gửi Trần Thị Lan" in text_of(mail)  # the account's language, not the dossier's
    assert f"http://127.0.0.1:5000/dossiers/{dossier.public_id}/status" in text_of(mail)
    logged = [r.getMessage() for r in caplog.records if r.name == SENDERS]
    assert len(logged) == 2
    sms, app_message = sorted(logged, key=lambda line: not line.startswith("SMS"))
    assert sms.startswith("SMS to 09******21")
    assert app_message.startswith("message app to 09******21")
    for line in logged:
        assert "0987654321" not in line
        assert dossier.code in line
        assert dossier.secret not in line


@pytest.mark.parametrize(
    ("particulars", "expected"),
    [
        ({"notify_email": True, "email_verified_at": None}, []),  # an unverified email is not used
        ({"notify_email": False, "notify_sms": True, "phone": "0987654321"}, ["sms"]),
        ({"notify_email": False, "notify_app": True, "phone": "0987654321"}, ["message-app"]),
        ({"notify_email": False, "notify_sms": True, "phone": None}, []),  # no phone, no SMS
        ({"notify_email": True, "email_verified_at": "now"}, ["email"]),
    ],
    ids=["unverified", "sms-only", "app-only", "sms-without-phone", "verified-email"],
)
def test_the_accounts_choice_is_respected(make_app, mail_server, citizen_key, particulars, expected):
    app = portal(make_app, mail_server)
    if particulars.get("email_verified_at") == "now":
        particulars = {**particulars, "email_verified_at": clock.now()}
    dossier = submit(app, citizen_key, account_id=account(app, **particulars))
    assert channels(app, dossier.id) == expected
    deliver(app)
    assert len(mail_server.messages()) == expected.count("email")


def test_an_anonymous_applicant_is_notified_at_the_email_and_phone_given(
    make_app, mail_server, citizen_key, caplog
):
    app = portal(make_app, mail_server)
    dossier = submit(app, citizen_key)
    assert channels(app, dossier.id) == ["email", "sms"]
    with caplog.at_level(logging.INFO, logger=SENDERS):
        deliver(app)
    assert [m["To"] for m in mail_server.messages()] == [ANSWERED_EMAIL]
    assert [r.getMessage().split(" [")[0] for r in caplog.records if r.name == SENDERS] == [
        "SMS to 09******78"
    ]


def test_only_the_channels_the_deployment_offers(make_app, mail_server, citizen_key):
    app = portal(make_app, mail_server, NOTIFICATION_CHANNELS=["sms"])
    dossier = submit(app, citizen_key)
    assert channels(app, dossier.id) == ["sms"]


def test_a_change_queued_is_sent_as_it_was_even_if_the_contact_changes(make_app, mail_server, citizen_key):
    app = portal(make_app, mail_server)
    dossier = submit(app, citizen_key)
    assert accept(app.test_client(), dossier.code).json["title"] == "applied"
    with app.app_context():
        found = db.session.get(Dossier, dossier.id)
        found.applicant_email = "other@example.vn"
        db.session.commit()
    deliver(app)
    assert [m["To"] for m in mail_server.messages()] == [ANSWERED_EMAIL, ANSWERED_EMAIL]


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"SMS_SENDER": "no-such-gateway"}, "OPENDVC_SMS_SENDER: unknown sender 'no-such-gateway'"),
        ({"NOTIFICATION_CHANNELS": ["fax"]}, "OPENDVC_NOTIFICATION_CHANNELS: unknown channel(s) ['fax']"),
        ({"SENDER_OPTIONS": {"sms-log": {"url": "x"}}}, "OPENDVC_SENDER_OPTIONS[sms-log]: url"),
        ({"SENDER_OPTIONS": {"nobody": {}}}, "OPENDVC_SENDER_OPTIONS: unknown sender(s) ['nobody']"),
    ],
)
def test_a_wrong_sender_setting_stops_start_up(tmp_path, config, problem):
    with pytest.raises(ConfigError) as stopped:
        create_app(
            {"SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **config},
            instance_path=str(tmp_path),
        )
    assert problem in str(stopped.value)


def test_a_failing_sender_leaves_the_notification_to_retry(make_app, mail_server, citizen_key):
    app = portal(make_app, mail_server, SMS_SENDER="failing", DELIVERY_BACKOFF_SECONDS=60)
    dossier = submit(app, citizen_key)
    outcome = deliver(app)
    assert outcome.retrying == [f"{dossier.id}-{_first_event(app, dossier.id)}-sms"]
    assert len(mail_server.messages()) == 1  # the email went all the same
    with app.app_context():
        row = db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.kind == NOTIFICATION, OutboxMessage.adapter == "sms")
        ).one()
        assert row.last_error == "the failing sender never sends"


def _first_event(app, dossier_id: int) -> int:
    key = next(k for k in notification_keys(app) if k.startswith(f"{dossier_id}-"))
    return int(key.split("-")[1])


@pytest.mark.parametrize("name", sorted(load_senders()))
def test_every_sender_keeps_the_contract(make_app, mail_server, name, caplog):
    """Each sender, given a message: sends it and returns a reference, or says why not."""
    app = portal(make_app, mail_server)
    sender = load_senders()[name](options=NoOptions())
    message = Outgoing(
        key="7-42-x",
        message_id="<7-42-x@127.0.0.1>",
        recipient="lan@example.vn" if name == "email" else "0987654321",
        subject="Hồ sơ 000.00.99.G09-261202-0001: hồ sơ của bạn đã được tiếp nhận",
        text="Hồ sơ của bạn đã được tiếp nhận.",
        html="<p>Hồ sơ của bạn đã được tiếp nhận.</p>",
    )
    with app.app_context(), caplog.at_level(logging.INFO, logger=SENDERS):
        if name == "failing":
            with pytest.raises(DeliveryFailed):
                sender.send(message=message)
            return
        reference = sender.send(message=message)
    assert reference
    if name == "email":
        assert mail_server.next_received() == "<7-42-x@127.0.0.1>"
        [mail] = mail_server.messages()
        assert text_of(mail).strip() == message.text
    else:
        [line] = [r.getMessage() for r in caplog.records if r.name == SENDERS]
        assert "09******21" in line
        assert "0987654321" not in line
        assert message.text in line


def test_fees_come_with_a_payment_request_only(make_app, mail_server, citizen_key):
    app = portal(make_app, mail_server)
    dossier = submit(app, citizen_key)
    client = app.test_client()
    body = event_body(dossier.code, 1, 2, fees=[{"name": "Lệ phí", "amount": 1000}])
    answer = post_event(client, body)
    assert (answer.status_code, answer.json["title"]) == (
        400,
        "fees come with status 6 (payment requested) only",
    )
    negative = event_body(dossier.code, 1, 2) | {"status": 6, "fees": [{"name": "Lệ phí", "amount": -1}]}
    assert post_event(client, negative).status_code == 400


def test_a_failing_back_office_holds_up_no_notification(make_app, mail_server, citizen_key):
    app = portal(make_app, mail_server, BACKOFFICE_ROUTES={DEFINITION.code: "failing"})
    dossier = submit(app, citizen_key)
    outcome = deliver(app)
    assert outcome.retrying == [dossier.code]  # the back office did not take it
    assert [m["To"] for m in mail_server.messages()] == [ANSWERED_EMAIL]  # the applicant heard
