"""The profile page: particulars, kind, language and channels; verified particulars kept as the
identity provider gave them; the password changed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import clock
from app.accounts.models import Account
from app.accounts.passwords import hash_password, verify
from app.extensions import db
from tests.accounts import PASSWORD, confirm, form_of, link_in, make_account, signed_in
from tests.conftest import page

PROFILE = "/account/profile"


def _post(client, **values: str):
    data = {
        "name": "Nguyễn Văn An",
        "personal_id": "001090012345",
        "kind": "citizen",
        "address": "12 Lê Thánh Tông, Hoàn Kiếm, Hà Nội",
        "locale": "vi",
        **values,
    }
    return client.post(PROFILE, data={**form_of(client, PROFILE), **data})


def _account(app) -> Account:
    with app.app_context():
        return db.session.scalar(select(Account))


def main_text(response) -> str:
    return " ".join(page(response).select_one("main").text.split())


def test_signing_in_is_needed(app):
    response = app.test_client().get(PROFILE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/sign-in?next=")


def test_the_profile_is_saved_with_kind_language_and_channels(app):
    with app.app_context():
        account = make_account(email_verified_at=None)
    client = signed_in(app, account)
    response = _post(
        client,
        kind="business",
        tax_code="0101234567",
        representative_name="Võ Văn Tâm",
        locale="en",
        notify_sms="y",
        notify_app="y",
    )
    assert response.status_code == 302
    saved = _account(app)
    assert (saved.kind, saved.tax_code, saved.representative_name, saved.locale) == (
        "business",
        "0101234567",
        "Võ Văn Tâm",
        "en",
    )
    assert (saved.notify_email, saved.notify_sms, saved.notify_app) == (False, True, True)
    shown = page(client.get(PROFILE))
    assert shown.find("input", attrs={"name": "notify_sms"}).has_attr("checked")
    assert not shown.find("input", attrs={"name": "notify_email"}).has_attr("checked")


@pytest.mark.parametrize(
    ("locale", "words"),
    [("en", "Enter the business's tax code"), ("vi", "Hãy nhập mã số thuế của doanh nghiệp")],
)
def test_a_business_without_its_tax_code_is_refused(app, locale, words):
    with app.app_context():
        account = make_account()
    client = signed_in(app, account)
    client.get(f"/language/{locale}")
    response = _post(client, kind="business")
    assert response.status_code == 400
    assert words in main_text(response)
    assert _account(app).kind == "citizen"


def test_verified_particulars_are_shown_and_kept(app):
    with app.app_context():
        account = make_account(
            name="Trần Thị Bình", personal_id="001190012345", verified=["name", "personal_id"]
        )
    client = signed_in(app, account)
    client.get("/language/en")
    shown = page(client.get(PROFILE))
    assert shown.find("input", attrs={"name": "name"}) is None
    assert "verified by the identity provider" in shown.select_one("#field-name").text
    response = _post(client, name="Người Khác", personal_id="001090099999", address="Hải Phòng")
    assert response.status_code == 302
    saved = _account(app)
    assert (saved.name, saved.personal_id) == ("Trần Thị Bình", "001190012345")
    assert saved.address == "Hải Phòng"


def test_a_phone_account_adds_an_email_address_by_its_link(make_app, mail_server):
    app = make_app(**mail_server.settings)
    with app.app_context():
        account = make_account(email=None, phone="+84912345678", notify_email=False)
    client = signed_in(app, account)
    client.get("/language/en")
    response = _post(client, email="moi@example.vn", notify_email="y")
    assert response.status_code == 302
    mail_server.next_received()
    assert "not confirmed yet" in main_text(client.get(PROFILE))
    saved = _account(app)
    assert saved.email == "moi@example.vn"
    assert saved.email_verified_at is None
    assert confirm(client, link_in(mail_server.to("moi@example.vn")[-1])).status_code == 302
    assert _account(app).email_verified_at is not None


@pytest.mark.parametrize(
    ("locale", "words"),
    [("en", "This is not your current password"), ("vi", "Đây không phải mật khẩu hiện tại của bạn")],
)
def test_changing_the_password_needs_the_current_one(app, locale, words):
    with app.app_context():
        account = make_account(password_hash=hash_password(PASSWORD))
    client = signed_in(app, account)
    client.get(f"/language/{locale}")
    token = form_of(client, PROFILE)
    refused = client.post(
        "/account/profile/password", data={**token, "current": "wrong one", "password": "x" * 12}
    )
    assert refused.status_code == 400
    assert words in main_text(refused)
    done = client.post(
        "/account/profile/password", data={**token, "current": PASSWORD, "password": "a new password"}
    )
    assert done.status_code == 302
    assert verify(_account(app).password_hash, "a new password")


def test_a_confirmed_email_address_is_kept(make_app, mail_server):
    app = make_app(**mail_server.settings)
    with app.app_context():
        account = make_account(email="da@example.vn", email_verified_at=clock.now())
    client = signed_in(app, account)
    client.get("/language/en")
    assert page(client.get(PROFILE)).find("input", attrs={"name": "email"}) is None
    assert _post(client, email="typo@exampel.vn").status_code == 302
    assert _account(app).email == "da@example.vn"
    assert mail_server.messages() == []
