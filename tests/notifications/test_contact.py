"""An anonymous applicant leaves (or corrects) an email and a phone for the notifications, on the
acknowledgement or the dossier's page: checked, stored on the dossier, used from the next change."""

from __future__ import annotations

import logging

import pytest

from app.dossiers.models import Dossier
from app.extensions import db
from tests.accounts import make_account, signed_in
from tests.conftest import csrf_token, page
from tests.events import accept
from tests.notifications import ANSWERED_EMAIL, ANSWERED_PHONE, deliver, portal, submit


@pytest.fixture
def anonymous(make_app, mail_server, citizen_key):
    """A portal with CSRF on, a submitted anonymous dossier and the browser holding it."""
    app = portal(make_app, mail_server, WTF_CSRF_ENABLED=True)
    dossier = submit(app, citizen_key)
    client = app.test_client()
    client.get(f"/resume/{dossier.secret}")
    return app, client, dossier


def contact(app, dossier_id: int) -> tuple[str | None, str | None]:
    with app.app_context():
        found = db.session.get_one(Dossier, dossier_id)
        return found.applicant_email, found.applicant_phone


def post_contact(client, dossier, **data: str):
    form = client.get(f"/dossiers/{dossier.public_id}/acknowledgement")
    return client.post(
        f"/dossiers/{dossier.public_id}/contact", data={"csrf_token": csrf_token(form), **data}
    )


@pytest.mark.parametrize("where", ["acknowledgement", "status"])
def test_the_form_shows_what_the_dossier_holds(anonymous, where):
    _, client, dossier = anonymous
    form = page(client.get(f"/dossiers/{dossier.public_id}/{where}")).select_one("form.contact")
    assert form["action"] == f"/dossiers/{dossier.public_id}/contact"
    assert form.select_one("input[name=email]")["value"] == ANSWERED_EMAIL
    assert form.select_one("input[name=phone]")["value"] == ANSWERED_PHONE
    assert form.select_one("input[name=csrf_token]")["value"]


def test_a_new_contact_is_used_from_the_next_change(anonymous, mail_server, caplog):
    app, client, dossier = anonymous
    deliver(app)  # the acknowledgement, to the answers' address
    answer = post_contact(client, dossier, email="Moi.Lien@Example.VN", phone="+84 987 654 321")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/dossiers/{dossier.public_id}/status"
    assert contact(app, dossier.id) == ("Moi.Lien@example.vn", "0987654321")
    assert accept(app.test_client(), dossier.code).json["title"] == "applied"
    with caplog.at_level(logging.INFO, logger="app.notifications.senders"):
        deliver(app)
    assert [m["To"] for m in mail_server.messages()] == [ANSWERED_EMAIL, "Moi.Lien@example.vn"]
    logged = [r.getMessage().split(" [")[0] for r in caplog.records if r.name == "app.notifications.senders"]
    assert logged == ["SMS to 09******21"]


@pytest.mark.parametrize(
    ("locale", "data", "errors"),
    [
        ("en", {"email": "not an address", "phone": ""}, ["Enter an email address in the correct format"]),
        ("en", {"email": "", "phone": "12345"}, ["Enter a Vietnamese phone number"]),
        ("en", {"email": "", "phone": ""}, ["Enter an email address or a phone number"]),
        ("vi", {"email": "", "phone": ""}, ["Nhập địa chỉ thư điện tử hoặc số điện thoại"]),
        ("en", {"email": "a@" + "b" * 300 + ".vn", "phone": ""}, ["Write at most 255 characters"]),
    ],
)
def test_a_wrong_contact_is_refused_with_a_clear_message(anonymous, locale, data, errors):
    app, client, dossier = anonymous
    client.get(f"/language/{locale}")
    answer = post_contact(client, dossier, **data)
    assert answer.status_code == 400
    summary = page(answer).select_one(".error-summary").get_text()
    for error in errors:
        assert error in summary
    assert contact(app, dossier.id) == (ANSWERED_EMAIL, ANSWERED_PHONE)  # nothing stored


def test_without_the_csrf_token_nothing_is_stored(anonymous):
    app, client, dossier = anonymous
    client.get("/language/en")
    answer = client.post(f"/dossiers/{dossier.public_id}/contact", data={"email": "x@example.vn"})
    assert answer.status_code == 400
    assert contact(app, dossier.id) == (ANSWERED_EMAIL, ANSWERED_PHONE)


def test_a_stranger_cannot_change_the_contact(anonymous):
    app, _, dossier = anonymous
    stranger = app.test_client()
    assert stranger.get(f"/dossiers/{dossier.public_id}/contact").status_code == 404
    assert stranger.post(
        f"/dossiers/{dossier.public_id}/contact", data={"email": "x@example.vn"}
    ).status_code in (
        400,
        404,
    )
    assert contact(app, dossier.id) == (ANSWERED_EMAIL, ANSWERED_PHONE)


def test_an_accounts_dossier_is_notified_by_its_profile_not_this_form(make_app, mail_server, citizen_key):
    app = portal(make_app, mail_server)
    with app.app_context():
        holder = make_account()
        holder_id = holder.id
    dossier = submit(app, citizen_key, account_id=holder_id)
    owner = signed_in(app, holder)
    status = owner.get(f"/dossiers/{dossier.public_id}/status")
    assert status.status_code == 200
    assert page(status).select_one("form.contact") is None
    answer = owner.get(f"/dossiers/{dossier.public_id}/contact")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/account/profile")
    stranger = app.test_client()
    stranger.get(f"/resume/{dossier.secret}")  # the secret alone opens no account's dossier
    assert stranger.get(f"/dossiers/{dossier.public_id}/contact").status_code == 404
