"""Local accounts through the real pages, with the mail received by a real SMTP server: register,
confirm the address, sign in, forgotten password; every refusal with its message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from app import clock
from app.accounts.models import Account, AccountSession, AccountToken
from app.extensions import db
from tests.accounts import (
    PASSWORD,
    confirm,
    form_of,
    link_in,
    make_account,
    register,
    registered,
    sign_in,
    signed_in,
)
from tests.conftest import page


@pytest.fixture
def mail_app(make_app, mail_server):
    return make_app(**mail_server.settings)


def english(app):
    client = app.test_client()
    client.get("/language/en")
    return client


def main_text(response) -> str:
    return " ".join(page(response).select_one("main").text.split())


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_register_confirm_and_sign_in(mail_app, mail_server):
    client = english(mail_app)
    response = register(client, "Hoa@Example.vn")
    assert response.status_code == 200
    assert "We have sent a link to hoa@example.vn" in main_text(response)
    mail_server.next_received()
    message = mail_server.to("hoa@example.vn")[-1]
    assert message["Subject"] == "Confirm your email address"
    path = link_in(message)
    assert 'name="csrf_token"' in client.get(path).text  # a button: a GET never writes
    done = confirm(client, path)
    assert done.headers["Location"] == "/account/sign-in"
    signed = sign_in(client, "hoa@example.vn")
    assert signed.status_code == 302
    assert signed.headers["Location"] == "/account/profile"
    assert "Nguyễn Thị Hoa" in page(client.get("/")).select_one("header .who").text
    with mail_app.app_context():
        token = db.session.scalar(select(AccountToken))
        assert token.used_at is not None
        assert len(token.token_hash) == 64
        assert path.rsplit("/", 1)[1] not in token.token_hash  # only the hash is kept


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "Confirm your email address first"),
        ("vi", "Hãy xác nhận địa chỉ email trước"),
    ],
)
def test_an_unverified_address_cannot_sign_in_and_a_new_link_is_offered(mail_app, mail_server, locale, words):
    client = mail_app.test_client()
    client.get(f"/language/{locale}")
    register(client, "chua@example.vn")
    mail_server.next_received()
    response = sign_in(client, "chua@example.vn")
    assert response.status_code == 403
    assert words in main_text(response)
    assert page(response).select_one('a[href="/account/verify"]') is not None
    resent = client.post(
        "/account/verify", data={**form_of(client, "/account/verify"), "identifier": "chua@example.vn"}
    )
    assert resent.status_code == 200
    mail_server.next_received()
    assert len(mail_server.to("chua@example.vn")) == 2
    assert confirm(client, link_in(mail_server.to("chua@example.vn")[-1])).status_code == 302
    assert sign_in(client, "chua@example.vn").status_code == 302


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "This address or number and this password do not match an account."),
        ("vi", "Địa chỉ hoặc số điện thoại và mật khẩu này không khớp với tài khoản nào."),
    ],
)
def test_a_wrong_password_and_an_unknown_account_get_the_same_refusal(mail_app, mail_server, locale, words):
    client = mail_app.test_client()
    registered(client, mail_server, "dung@example.vn")
    client = mail_app.test_client()
    client.get(f"/language/{locale}")
    wrong = sign_in(client, "dung@example.vn", "not the password")
    unknown = sign_in(client, "nobody@example.vn", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert words in main_text(wrong)
    assert words in main_text(unknown)
    assert client.get("/account/profile").status_code == 302


def test_a_phone_account_signs_in_at_once_without_mail(mail_app, mail_server):
    client = english(mail_app)
    response = register(client, "0912 345 678")
    assert response.status_code == 302
    assert sign_in(client, "+84912345678").status_code == 302
    with mail_app.app_context():
        account = db.session.scalar(select(Account))
        assert account.phone == "+84912345678"
        assert account.email is None
        assert not account.notify_email
    assert mail_server.messages() == []


@pytest.mark.parametrize(
    ("locale", "words"),
    [("en", "Choose a password of at least 10 characters"), ("vi", "Hãy chọn mật khẩu có ít nhất 10 ký tự")],
)
def test_a_short_password_is_refused(mail_app, locale, words):
    client = mail_app.test_client()
    client.get(f"/language/{locale}")
    response = register(client, "ngan@example.vn", "short")
    assert response.status_code == 400
    assert words in main_text(response)
    with mail_app.app_context():
        assert count(Account) == 0


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"identifier": "not an address"}, "Enter an email address, or a phone number like 0912 345 678"),
        ({"kind": "business"}, "Enter the business's tax code"),
        (
            {"kind": "business", "tax_code": "0101234567"},
            "Enter the name of the business's legal representative",
        ),
    ],
)
def test_wrong_particulars_are_refused(mail_app, given, words):
    client = english(mail_app)
    response = register(client, **{"identifier": "x@example.vn", **given})
    assert response.status_code == 400
    assert words in main_text(response)


def test_a_business_registers_with_its_tax_code_and_representative(mail_app, mail_server):
    client = english(mail_app)
    response = register(
        client, "dn@example.vn", kind="business", tax_code="0101234567-001", representative_name="Võ Văn Tâm"
    )
    assert response.status_code == 200
    with mail_app.app_context():
        account = db.session.scalar(select(Account))
        assert (account.kind, account.tax_code, account.representative_name) == (
            "business",
            "0101234567-001",
            "Võ Văn Tâm",
        )


def test_an_address_registered_twice_is_refused(mail_app, mail_server):
    client = english(mail_app)
    register(client, "hai@example.vn")
    response = register(client, "HAI@example.vn")
    assert response.status_code == 400
    assert "exists already" in main_text(response)


@pytest.mark.parametrize(("locale", "words"), [("en", "could not be sent"), ("vi", "Không gửi được email")])
def test_a_mail_server_down_stores_nothing(mail_app, mail_server, locale, words):
    mail_server.stop()
    client = mail_app.test_client()
    client.get(f"/language/{locale}")
    response = register(client, "khong@example.vn")
    assert response.status_code == 400
    assert words in main_text(response)
    with mail_app.app_context():
        assert count(Account) == 0
        assert count(AccountToken) == 0


def _link(mail_server, address: str) -> str:
    mail_server.next_received()
    return link_in(mail_server.to(address)[-1])


@pytest.mark.parametrize(
    ("locale", "words"), [("en", "This link has expired."), ("vi", "Đường dẫn này đã hết hạn.")]
)
def test_an_expired_verification_link_is_refused(mail_app, mail_server, locale, words):
    client = mail_app.test_client()
    client.get(f"/language/{locale}")
    register(client, "het@example.vn")
    path = _link(mail_server, "het@example.vn")
    with mail_app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=clock.now() - timedelta(seconds=1)))
        db.session.commit()
    response = confirm(client, path)
    assert response.status_code == 400
    assert words in main_text(response)
    assert page(response).select_one('a[href="/account/verify"]') is not None
    assert sign_in(client, "het@example.vn").status_code == 403


@pytest.mark.parametrize(
    ("locale", "words"),
    [("en", "This link has been used already"), ("vi", "Đường dẫn này đã được dùng")],
)
def test_a_verification_link_works_once(mail_app, mail_server, locale, words):
    client = mail_app.test_client()
    client.get(f"/language/{locale}")
    register(client, "mot@example.vn")
    path = _link(mail_server, "mot@example.vn")
    assert confirm(client, path).status_code == 302
    again = confirm(client, path)
    assert again.status_code == 400
    assert words in main_text(again)
    forged = confirm(client, "/account/verify/forged-token")
    assert forged.status_code == 400


def test_a_password_reset_ends_every_session(mail_app, mail_server):
    client = english(mail_app)
    registered(client, mail_server, "quen@example.vn")
    elsewhere = mail_app.test_client()
    sign_in(elsewhere, "quen@example.vn")
    assert elsewhere.get("/account/profile").status_code == 200
    asked = client.post(
        "/account/forgot", data={**form_of(client, "/account/forgot"), "identifier": "quen@example.vn"}
    )
    assert asked.status_code == 200
    path = _link(mail_server, "quen@example.vn")
    assert mail_server.to("quen@example.vn")[-1]["Subject"] == "Reset your password"
    assert client.get(path).status_code == 200
    new = "một mật khẩu mới hơn"
    done = client.post(path, data={**form_of(client, path), "password": new})
    assert done.status_code == 302
    assert elsewhere.get("/account/profile").status_code == 302  # its session ended
    with mail_app.app_context():
        assert count(AccountSession) == 0
    assert sign_in(client, "quen@example.vn").status_code == 401
    assert sign_in(client, "quen@example.vn", new).status_code == 302
    # The link worked once.
    again = client.post(path, data={**form_of(client, "/account/forgot"), "password": "yet another one!"})
    assert again.status_code == 400
    assert "used already" in main_text(again)
    assert client.get(path).status_code == 400


def test_a_reset_request_answers_the_same_whoever_asks(mail_app, mail_server):
    client = english(mail_app)
    registered(client, mail_server, "co@example.vn")
    known = client.post(
        "/account/forgot", data={**form_of(client, "/account/forgot"), "identifier": "co@example.vn"}
    )
    mail_server.next_received()
    unknown = client.post(
        "/account/forgot", data={**form_of(client, "/account/forgot"), "identifier": "khong@example.vn"}
    )
    assert known.status_code == unknown.status_code == 200
    assert main_text(known) == main_text(unknown)
    assert mail_server.to("khong@example.vn") == []


@pytest.mark.parametrize(
    ("locale", "words"), [("en", "This link has expired."), ("vi", "Đường dẫn này đã hết hạn.")]
)
def test_an_expired_reset_link_is_refused(mail_app, mail_server, locale, words):
    client = english(mail_app)
    registered(client, mail_server, "muon@example.vn")
    client.post(
        "/account/forgot", data={**form_of(client, "/account/forgot"), "identifier": "muon@example.vn"}
    )
    path = _link(mail_server, "muon@example.vn")
    with mail_app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=clock.now() - timedelta(seconds=1)))
        db.session.commit()
    client.get(f"/language/{locale}")
    shown = client.get(path)
    assert shown.status_code == 400
    assert words in main_text(shown)
    sent = client.post(path, data={**form_of(client, "/account/forgot"), "password": "một mật khẩu mới hơn"})
    assert sent.status_code == 400
    assert words in main_text(sent)
    assert sign_in(client, "muon@example.vn").status_code == 302  # the old password still works


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "Too many wrong passwords: this account is locked for 15 minutes."),
        ("vi", "Nhập sai mật khẩu quá nhiều lần: tài khoản bị khóa trong 15 phút."),
    ],
)
def test_five_wrong_passwords_lock_the_account(mail_app, mail_server, locale, words):
    client = mail_app.test_client()
    registered(client, mail_server, "khoa@example.vn")
    guesser = mail_app.test_client()
    guesser.get(f"/language/{locale}")
    for _attempt in range(5):
        assert sign_in(guesser, "khoa@example.vn", "a wrong guess").status_code == 401
    locked = sign_in(guesser, "khoa@example.vn")  # the right password, too late
    assert locked.status_code == 429
    assert words in main_text(locked)
    with mail_app.app_context():
        db.session.execute(
            update(Account).values(last_failure_at=clock.now() - timedelta(minutes=15, seconds=1))
        )
        db.session.commit()
    assert sign_in(guesser, "khoa@example.vn").status_code == 302


@pytest.mark.parametrize(
    ("locale", "words"),
    [("en", "Too many attempts from this connection"), ("vi", "Có quá nhiều lần thử từ kết nối này")],
)
def test_sign_in_is_throttled_per_address(make_app, locale, words):
    app = make_app(RATE_LIMIT_SIGN_IN="3 per minute")
    client = app.test_client()
    client.get(f"/language/{locale}")
    for n in range(3):
        assert sign_in(client, f"someone{n}@example.vn", "whatever it is").status_code == 401
    throttled = sign_in(client, "someone@example.vn", "whatever it is")
    assert throttled.status_code == 429
    assert words in main_text(throttled)


def test_a_hash_with_old_parameters_is_replaced_at_sign_in(app):
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with app.app_context():
        make_account(email="cu@example.vn", password_hash=old, email_verified_at=clock.now())
    client = app.test_client()
    assert sign_in(client, "cu@example.vn").status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(Account.password_hash))
        assert stored != old
        assert not PasswordHasher().check_needs_rehash(stored)
    assert sign_in(app.test_client(), "cu@example.vn").status_code == 302


def test_sign_out_and_sign_out_everywhere_need_a_post_with_the_token(app):
    with app.app_context():
        account = make_account()
    here, there = signed_in(app, account), signed_in(app, account)
    assert here.get("/account/sign-out").status_code == 405
    assert here.post("/account/sign-out").status_code == 400  # no CSRF token
    assert here.get("/account/profile").status_code == 200
    done = here.post("/account/sign-out-everywhere", data=form_of(here, "/account/profile"))
    assert done.status_code == 302
    assert here.get("/account/profile").status_code == 302
    assert there.get("/account/profile").status_code == 302
    again = signed_in(app, account)
    out = again.post("/account/sign-out", data=form_of(again, "/"))
    assert out.status_code == 302
    assert again.get("/account/profile").status_code == 302


def test_local_accounts_can_be_turned_off(make_app):
    client = make_app(LOCAL_ACCOUNTS=False).test_client()
    assert client.get("/account/register").status_code == 404
    assert client.get("/account/sign-in").status_code == 404  # and no provider either
    assert page(client.get("/")).select_one('header a[href="/account/sign-in"]') is None


@pytest.mark.parametrize(
    "path",
    ["/account/sign-in", "/account/register", "/account/verify", "/account/forgot", "/account/profile", "/"],
)
def test_every_form_has_its_csrf_token(app, path):
    with app.app_context():
        account = make_account()
    for client in (app.test_client(), signed_in(app, account)):
        response = client.get(path, follow_redirects=True)
        for form in page(response).select("form[method=post]"):
            assert form.find("input", attrs={"name": "csrf_token"}) is not None, (path, form)


def test_the_header_offers_sign_in_or_the_account(app):
    anonymous = page(app.test_client().get("/"))
    assert anonymous.select_one('header a[href="/account/sign-in"]') is not None
    with app.app_context():
        account = make_account(name="Đỗ Thị Lan")
    signed = signed_in(app, account)
    signed.get("/language/en")
    header = page(signed.get("/")).select_one("header")
    assert "Đỗ Thị Lan" in header.text
    assert header.select_one('a[href="/account/profile"]').text == "Profile"
    assert header.select_one('form[action="/account/sign-out"] button').text == "Sign out"
    signed.get("/language/vi")
    header = page(signed.get("/")).select_one("header")
    assert header.select_one('a[href="/account/profile"]').text == "Hồ sơ cá nhân"
    assert header.select_one('form[action="/account/sign-out"] button').text == "Đăng xuất"
