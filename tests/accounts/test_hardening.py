"""What an attacker tried against the accounts (issue 12 review), each refused: a link confirming an
address it was not mailed to, an unconfirmed address used to sign in or to keep its owner out, an
old reset link after another was used, sessions surviving a password change, a sign-out leaving a
dossier's secret in a shared browser, a NUL byte, an address the provider has not verified, and
one-time links in the log."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.accounts.models import Account
from app.extensions import db
from app.logs import RedactSecrets
from tests.accounts import PASSWORD, confirm, form_of, link_in, register, registered, sign_in
from tests.accounts.test_oidc import browser, sign_in_with_provider
from tests.conftest import TEST_CATALOG
from tests.journey import start

PHONE = "0912345678"


def _account(app, **where: object) -> Account | None:
    with app.app_context():
        return db.session.scalar(select(Account).filter_by(**where))


def _set_email(client, address: str):
    data = {"name": "Kẻ Gian", "kind": "citizen", "locale": "en", "email": address}
    return client.post("/account/profile", data={**form_of(client, "/account/profile"), **data})


def _phone_account(client) -> None:
    assert register(client, PHONE).status_code == 302
    assert sign_in(client, PHONE).status_code == 302


def test_a_link_confirms_only_the_address_it_was_mailed_to(make_app, mail_server):
    app = make_app(**mail_server.settings)
    mallory = app.test_client()
    _phone_account(mallory)
    assert _set_email(mallory, "mallory@example.com").status_code == 302
    mail_server.next_received()
    mallorys_link = link_in(mail_server.to("mallory@example.com")[-1])
    assert _set_email(mallory, "victim@example.com").status_code == 302
    mail_server.next_received()
    assert confirm(mallory, mallorys_link).status_code == 400  # that link is for another address
    account = _account(app, phone="+84912345678")
    assert account.email == "victim@example.com"
    assert account.email_verified_at is None
    # The victim, who opens the mail, does not know the password of Mallory's account: the
    # address stays unconfirmed there.
    victims_link = link_in(mail_server.to("victim@example.com")[-1])
    victim = app.test_client()
    victim.get("/language/en")
    refused = confirm(victim, victims_link, password="the victim's own password")
    assert refused.status_code == 400
    assert "not the password of the account" in refused.text
    assert _account(app, phone="+84912345678").email_verified_at is None


def test_an_address_registered_by_someone_else_is_not_confirmed_by_its_owner(make_app, mail_server):
    """Someone registers another person's address with a password of their own; its owner, asking
    for the link again and opening it, does not hand them a confirmed account."""
    app = make_app(**mail_server.settings)
    assert register(app.test_client(), "lan@example.vn", "the intruder's password").status_code == 200
    mail_server.next_received()
    owner = app.test_client()
    owner.post("/account/verify", data={**form_of(owner, "/account/verify"), "identifier": "lan@example.vn"})
    mail_server.next_received()
    link = link_in(mail_server.to("lan@example.vn")[-1])
    assert confirm(owner, link, password="the owner's password").status_code == 400
    assert _account(app, email="lan@example.vn").email_verified_at is None
    assert (
        confirm(owner, link, password="the intruder's password").status_code == 302
    )  # the link was not used up


def test_an_unconfirmed_address_neither_signs_in_nor_keeps_its_owner_out(make_app, mail_server):
    app = make_app(**mail_server.settings)
    mallory = app.test_client()
    _phone_account(mallory)
    assert _set_email(mallory, "ceo@bigcorp.example").status_code == 302
    mail_server.next_received()
    assert sign_in(app.test_client(), "ceo@bigcorp.example").status_code == 401
    owner = app.test_client()
    assert (
        registered(owner, mail_server, "ceo@bigcorp.example", "the owner's own password").status_code == 302
    )
    assert _account(app, phone="+84912345678").email is None  # taken back from the phone account


def test_a_reset_link_stops_working_once_another_was_used(make_app, mail_server):
    app = make_app(**mail_server.settings)
    registered(app.test_client(), mail_server, "hoa@example.vn")
    client = app.test_client()
    links = []
    for _ in range(2):
        client.post(
            "/account/forgot", data={**form_of(client, "/account/forgot"), "identifier": "hoa@example.vn"}
        )
        mail_server.next_received()
        links.append(link_in(mail_server.to("hoa@example.vn")[-1]))
    first, second = links
    answer = client.post(first, data={**form_of(client, first), "password": "a new password, long enough"})
    assert answer.status_code == 302
    token = form_of(client, "/account/forgot")  # the page at `second` has no form any more
    again = client.post(second, data={**token, "password": "the attacker's password"})
    assert again.status_code == 400
    assert sign_in(app.test_client(), "hoa@example.vn", "the attacker's password").status_code == 401
    assert sign_in(app.test_client(), "hoa@example.vn", "a new password, long enough").status_code == 302


def test_changing_the_password_ends_every_other_session(make_app, mail_server):
    app = make_app(**mail_server.settings)
    here, elsewhere = app.test_client(), app.test_client()
    registered(here, mail_server, "an@example.vn")
    assert sign_in(elsewhere, "an@example.vn").status_code == 302
    path = "/account/profile/password"
    data = {"current": PASSWORD, "password": "another long password"}
    changed = here.post(path, data={**form_of(here, "/account/profile"), **data})
    assert changed.status_code == 302
    assert here.get("/account/profile").status_code == 200  # signed in again, here
    assert elsewhere.get("/account/profile").status_code == 302  # sent to sign in


def test_signing_out_forgets_the_dossiers_this_browser_held(make_app, mail_server):
    app = make_app(CATALOG_DIR=TEST_CATALOG, **mail_server.settings)
    shared = app.test_client()
    registered(shared, mail_server, "chung@example.vn")
    shared.get("/language/en")
    anonymous_draft = start(app.test_client(), "T.000001")
    public_id = anonymous_draft.split("/dossiers/", 1)[1].split("/", 1)[0]
    with shared.session_transaction() as held:  # as its resume link would have left it
        held["dossiers"] = {public_id: "x"}
    shared.post("/account/sign-out", data=form_of(shared, "/account/profile"))
    with shared.session_transaction() as held:
        assert "dossiers" not in held
        assert held.get("locale") == "en"  # the language stays


def test_a_nul_byte_is_taken_out_not_stored_nor_a_500(make_app, mail_server):
    app = make_app(**mail_server.settings)
    client = app.test_client()
    assert register(client, PHONE, name="Nguyễn\x00 Văn An").status_code == 302
    assert _account(app, phone="+84912345678").name == "Nguyễn Văn An"
    assert sign_in(client, PHONE).status_code == 302
    data = {"name": "An", "kind": "citizen", "locale": "vi", "address": "12\x00 Lê Lợi"}
    assert (
        client.post("/account/profile", data={**form_of(client, "/account/profile"), **data}).status_code
        == 302
    )
    assert _account(app, phone="+84912345678").address == "12 Lê Lợi"


def test_a_name_of_spaces_is_refused(make_app, mail_server):
    app = make_app(**mail_server.settings)
    answer = register(app.test_client(), PHONE, name="   ")
    assert answer.status_code == 400
    assert _account(app, phone="+84912345678") is None


def test_an_address_the_provider_has_not_verified_is_not_taken(make_app, oidc_provider):
    app = make_app(**oidc_provider.settings)
    oidc_provider.next_sign_in("vneid-0042", name="Lê Thị Mai", email="mai@example.vn", email_verified=False)
    client = browser(app)
    assert sign_in_with_provider(client).status_code == 302
    account = _account(app, oidc_subject="vneid-0042")
    assert account.email is None
    assert "email" not in account.verified


def test_one_time_account_links_are_not_logged():
    for path in ("/account/reset/4-vGURQPPRuNdsDt4f2Hd", "/account/verify/MiJJabc_def-123"):
        record = logging.LogRecord(
            "werkzeug", logging.INFO, __file__, 1, '"%s" %s', (f"GET {path} HTTP/1.1", "200"), None
        )
        RedactSecrets().filter(record)
        assert path.rsplit("/", 1)[1] not in record.getMessage()
