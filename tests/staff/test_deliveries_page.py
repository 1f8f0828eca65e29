"""Staff sign in, see the deliveries that failed, and send them again; nobody else can."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from app import clock
from app.catalog.loader import load_folder
from app.delivery.worker import deliver_due
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.staff.models import StaffUser
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.factories import submitted

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
PASSWORD = "mật khẩu đủ dài của cán bộ"
MARKUP = '<script>alert("x")</script> <b>refused</b>'


@pytest.fixture
def failed(make_app, citizen_key):
    """A dossier whose delivery failed (the back office's error has markup in it), and a staff
    account named lan."""
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
        message.last_error = MARKUP
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


def delivery(app) -> OutboxMessage:
    with app.app_context():
        message = db.session.scalars(db.select(OutboxMessage)).one()
        db.session.expunge(message)
        return message


COLUMNS = ("code", "procedure", "state", "adapter", "attempts", "last-attempt", "error-text")


def cells(row) -> dict[str, str]:
    return {column: row.select_one(f".{column}").get_text(strip=True) for column in COLUMNS}


def test_staff_see_the_failed_delivery_and_send_it_again(failed):
    app, code = failed
    client = app.test_client()
    client.get("/language/en")
    assert sign_in(client).headers["Location"] == "/staff/deliveries"
    listing = client.get("/staff/deliveries")
    row = cells(page(listing).select_one("tr.delivery-failed"))
    assert row["code"] == code
    assert (row["procedure"], row["state"], row["adapter"]) == ("T.000001", "Failed", "failing")
    assert row["attempts"] == "1"
    assert row["last-attempt"]  # a date and time
    assert row["error-text"] == MARKUP  # shown as text ...
    assert b"<script>alert" not in listing.data  # ... never as markup
    assert b"<b>refused" not in listing.data

    form = page(listing).select_one("tr.delivery-failed form")
    sent = client.post(form["action"], data={"csrf_token": csrf_token(listing)})
    assert sent.status_code == 302
    assert sent.headers["Location"] == "/staff/deliveries"
    after = page(client.get("/staff/deliveries"))
    assert f"{code} will be sent again now." in after.select_one(".notice").get_text()
    assert after.select_one("tr.delivery-failed") is None
    row = cells(after.select_one("tr.delivery-pending"))
    assert row["code"] == code
    assert row["state"].startswith("Retrying at")
    assert row["attempts"] == "0"
    assert row["error-text"] == MARKUP  # the last error stays in sight until it is delivered
    message = delivery(app)
    assert (message.state, message.attempts) == ("pending", 0)


def test_pages_are_in_vietnamese_by_default(failed):
    app, _ = failed
    client = app.test_client()
    assert page(client.get("/staff/login")).h1.get_text() == "Đăng nhập cán bộ"
    assert "không khớp" in page(sign_in(client, "sai mật khẩu rồi")).select_one(".error").get_text()
    sign_in(client)
    listing = page(client.get("/staff/deliveries"))
    assert listing.select_one("tr.delivery-failed button").get_text(strip=True).startswith("Gửi lại")
    assert cells(listing.select_one("tr.delivery-failed"))["state"] == "Thất bại"


def test_without_signing_in_nothing_is_shown_or_sent(failed):
    app, _ = failed
    client = app.test_client()
    listing = client.get("/staff/deliveries")
    assert listing.status_code == 302
    assert listing.headers["Location"] == "/staff/login?next=/staff/deliveries"
    token = csrf_token(client.get("/staff/login"))  # a valid token is not enough
    message_id = delivery(app).id
    refused = client.post(f"/staff/deliveries/{message_id}/resend", data={"csrf_token": token})
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/staff/login")
    assert delivery(app).state == "failed"


def test_a_resend_without_the_csrf_token_is_refused(failed):
    app, _ = failed
    client = app.test_client()
    sign_in(client)
    action = page(client.get("/staff/deliveries")).select_one("tr.delivery-failed form")["action"]
    assert client.post(action, data={}).status_code == 400
    assert delivery(app).state == "failed"


def test_wrong_passwords_are_refused_then_the_account_locks(failed):
    app, _ = failed
    client = app.test_client()
    client.get("/language/en")
    wrong = sign_in(client, "not the password")
    assert wrong.status_code == 401
    assert "do not match an account" in page(wrong).select_one(".error").get_text()
    stranger = sign_in(client, username="nobody")
    assert stranger.status_code == 401  # the same answer for a name nobody has
    assert "do not match an account" in page(stranger).select_one(".error").get_text()
    for _ in range(4):
        assert sign_in(client, "still not it").status_code == 401
    locked = sign_in(client)  # even the right password, now
    assert locked.status_code == 401
    assert "locked for 15 minutes" in page(locked).select_one(".error").get_text()
    assert client.get("/staff/deliveries").status_code == 302


def test_a_locked_account_opens_again_fifteen_minutes_after_the_last_failure(failed):
    app, _ = failed
    client = app.test_client()
    for _ in range(5):
        sign_in(client, "not the password")
    assert sign_in(client).status_code == 401
    with app.app_context():  # a quarter of an hour passes
        user = db.session.scalars(db.select(StaffUser)).one()
        user.last_failure_at = clock.now() - timedelta(minutes=15, seconds=1)
        db.session.commit()
    assert sign_in(client).status_code == 302
    assert client.get("/staff/deliveries").status_code == 200


def test_after_sign_in_only_a_staff_path_is_followed(failed):
    app, _ = failed
    for target in ("https://evil.example/", "//evil.example/staff/", "/staff/\\evil.example"):
        assert sign_in(app.test_client(), next_=f"?next={target}").headers["Location"] == "/staff/deliveries"
    client = app.test_client()
    assert sign_in(client, next_="?next=/staff/deliveries").headers["Location"] == "/staff/deliveries"


def test_signing_in_starts_a_fresh_session_that_keeps_the_language(failed):
    app, _ = failed
    client = app.test_client()
    client.get("/language/en")
    with client.session_transaction() as session:
        session["staff_token"] = "planted"  # before sign-in
        session["dossiers"] = {"someone": "else"}
    assert client.get("/staff/deliveries").status_code == 302  # a token the server never gave opens nothing
    sign_in(client)
    with client.session_transaction() as session:
        assert "dossiers" not in session
        assert session["locale"] == "en"
        assert session["staff_token"] != "planted"


def test_signing_out_needs_the_form_and_ends_the_session(failed):
    app, _ = failed
    client = app.test_client()
    sign_in(client)
    listing = client.get("/staff/deliveries")
    assert client.post("/staff/logout", data={}).status_code == 400
    assert client.get("/staff/deliveries").status_code == 200  # still signed in
    out = client.post("/staff/logout", data={"csrf_token": csrf_token(listing)})
    assert out.headers["Location"] == "/staff/login"
    assert client.get("/staff/deliveries").status_code == 302


def test_a_removed_account_is_signed_out_even_if_another_takes_its_place(failed):
    app, _ = failed
    client = app.test_client()
    sign_in(client)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["staff", "remove", "lan"]).exit_code == 0
    assert runner.invoke(args=["staff", "add", "minh"], input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0
    assert client.get("/staff/deliveries").status_code == 302


def test_accounts_are_made_and_removed_on_the_command_line(failed):
    app, _ = failed
    runner = app.test_cli_runner()
    short = runner.invoke(args=["staff", "add", "minh"], input="short\nshort\n")
    assert short.exit_code != 0
    assert "at least 12 characters" in short.output
    mismatch = runner.invoke(args=["staff", "add", "minh"], input=f"{PASSWORD}\n{PASSWORD}x\n")
    assert mismatch.exit_code != 0
    again = runner.invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert again.exit_code != 0
    assert "exists already" in again.output
    with app.app_context():
        stored = db.session.scalars(db.select(StaffUser)).one().password_hash
    assert stored.startswith("scrypt:")
    assert PASSWORD not in stored
    assert runner.invoke(args=["staff", "remove", "lan"]).exit_code == 0
    assert runner.invoke(args=["staff", "remove", "lan"]).exit_code != 0
    assert sign_in(app.test_client()).status_code == 401


@pytest.mark.committed  # the guesses come from threads of their own
def test_guesses_sent_in_parallel_still_get_five_tries(make_app):
    """The attempt is counted in the database before the password is checked: twenty guesses at
    once, as from several gunicorn workers, are answered five times and locked out fifteen times."""
    app = make_app(RATE_LIMITS_ENABLED=False)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0

    def guess(n: int) -> str:
        client = app.test_client()
        client.get("/language/en")
        return page(sign_in(client, f"guess number {n}")).select_one(".error").get_text()

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(guess, range(20)))
    assert sum("do not match" in a for a in answers) == 5
    assert sum("locked for 15 minutes" in a for a in answers) == 15
