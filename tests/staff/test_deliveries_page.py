"""Staff sign in, see the deliveries that failed, and send them again; nobody else can."""

from __future__ import annotations

import pytest

from app.backoffice.models import OutboxMessage
from app.backoffice.outbox import deliver_due
from app.catalog.loader import load_folder
from app.extensions import db
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.journey import submitted

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
PASSWORD = "mật khẩu đủ dài của cán bộ"


@pytest.fixture
def failed(make_app, citizen_key):
    """A dossier whose delivery failed (an error with markup in it), and a staff account."""
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_ROUTES={"T.000001": "failing"},
        DELIVERY_MAX_ATTEMPTS=1,
        WTF_CSRF_ENABLED=True,
    )
    code = submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        deliver_due()
        message = db.session.scalars(db.select(OutboxMessage)).one()
        message.last_error = '<script>alert("x")</script> refused'
        db.session.commit()
    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    return app, code


def sign_in(client, password: str = PASSWORD, username: str = "lan", next_: str = ""):
    form = client.get("/staff/login")
    return client.post(
        f"/staff/login{next_}",
        data={"csrf_token": csrf_token(form), "username": username, "password": password},
    )


def test_staff_see_the_failed_delivery_and_send_it_again(failed):
    app, code = failed
    client = app.test_client()
    client.get("/language/en")
    assert sign_in(client).status_code == 302
    listing = client.get("/staff/deliveries")
    row = page(listing).select_one("tr.delivery-failed")
    assert row.select_one(".code").get_text() == code
    assert row.select_one(".error-text").get_text() == '<script>alert("x")</script> refused'  # as text
    assert b"<script>alert" not in listing.data
    sent = client.post(row.select_one("form")["action"], data={"csrf_token": csrf_token(listing)})
    assert sent.status_code == 302
    after = page(client.get("/staff/deliveries"))
    assert f"{code} will be sent again now." in after.get_text()
    with app.app_context():
        message = db.session.scalars(db.select(OutboxMessage)).one()
        assert (message.state, message.attempts) == ("pending", 0)


def test_without_signing_in_nothing_is_shown_or_sent(failed):
    app, _ = failed
    client = app.test_client()
    listing = client.get("/staff/deliveries")
    assert listing.status_code == 302
    assert listing.headers["Location"].startswith("/staff/login?next=")
    assert client.post("/staff/deliveries/1/resend").status_code in (302, 400)
    with app.app_context():
        assert db.session.scalars(db.select(OutboxMessage)).one().state == "failed"


def test_a_resend_without_the_csrf_token_is_refused(failed):
    app, _ = failed
    client = app.test_client()
    sign_in(client)
    message_id = page(client.get("/staff/deliveries")).select_one("tr.delivery-failed form")["action"]
    assert client.post(message_id, data={}).status_code == 400
    with app.app_context():
        assert db.session.scalars(db.select(OutboxMessage)).one().state == "failed"


def test_wrong_passwords_are_refused_then_the_account_locks(failed):
    app, _ = failed
    client = app.test_client()
    client.get("/language/en")
    wrong = sign_in(client, "not the password")
    assert wrong.status_code == 401
    assert "do not match an account" in page(wrong).select_one(".error").get_text()
    assert sign_in(client, username="nobody").status_code == 401  # the same answer for a stranger
    for _ in range(4):
        sign_in(client, "still not it")
    locked = sign_in(client)  # even the right password, now
    assert locked.status_code == 401
    assert "locked for 15 minutes" in page(locked).select_one(".error").get_text()
    assert client.get("/staff/deliveries").status_code == 302


def test_after_sign_in_only_a_staff_path_is_followed(failed):
    app, _ = failed
    client = app.test_client()
    assert sign_in(client, next_="?next=https://evil.example/").headers["Location"] == "/staff/deliveries"
    client = app.test_client()
    assert sign_in(client, next_="?next=/staff/deliveries").headers["Location"] == "/staff/deliveries"


def test_accounts_need_a_long_password_and_can_be_removed(failed):
    app, _ = failed
    runner = app.test_cli_runner()
    short = runner.invoke(args=["staff", "add", "minh"], input="short\nshort\n")
    assert short.exit_code != 0
    assert "at least 12 characters" in short.output
    assert runner.invoke(args=["staff", "remove", "lan"]).exit_code == 0
    assert sign_in(app.test_client()).status_code == 401
