"""Sign-in with OpenID Connect against a real provider process (tests/oidc_provider.py): the whole
flow over HTTP, and every way it can fail, each with a clear page and nothing stored."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from app.accounts.models import Account, AccountSession
from app.extensions import db
from tests.conftest import csrf_token, page


def browser(app, locale: str = "en"):
    client = app.test_client()
    client.get(f"/language/{locale}")
    return client


def _path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def start(client):
    """Press "Sign in with VNeID": the redirect to the provider's authorize endpoint."""
    form = client.get("/account/sign-in")
    response = client.post("/account/oidc/start", data={"csrf_token": csrf_token(form)})
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def at_provider(authorize_url: str) -> str:
    """The browser at the provider: it answers with a redirect back to the portal."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def sign_in_with_provider(client):
    return client.get(_path(at_provider(start(client))))


def accounts() -> int:
    return db.session.scalar(select(func.count()).select_from(Account))


@pytest.fixture
def oidc_app(make_app, oidc_provider):
    return make_app(**oidc_provider.settings)


def test_first_sign_in_makes_the_account_with_verified_particulars(oidc_app, oidc_provider):
    oidc_provider.next_sign_in(
        "vneid-0001",
        name="Trần Thị Bình",
        citizen_id="001190012345",
        email="Binh@Example.vn",
        phone_number="0912345678",
    )
    client = browser(oidc_app)
    authorize = start(client)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0]
    assert query["state"][0]
    assert query["nonce"][0]
    assert query["acr_values"] == ["level2"]
    assert "openid" in query["scope"][0].split()
    response = client.get(_path(at_provider(authorize)))
    assert response.status_code == 302
    profile = client.get("/account/profile")
    assert profile.status_code == 200
    assert "Trần Thị Bình" in page(profile).select_one("header .who").text
    with oidc_app.app_context():
        account = db.session.scalar(select(Account).where(Account.oidc_subject == "vneid-0001"))
        assert account.oidc_issuer == oidc_provider.url
        assert account.name == "Trần Thị Bình"
        assert account.personal_id == "001190012345"
        assert account.email == "binh@example.vn"
        assert account.email_verified_at is not None
        assert account.phone == "+84912345678"
        assert sorted(account.verified) == ["email", "name", "personal_id", "phone"]
    # Verified particulars are shown, not editable.
    doc = page(profile)
    assert doc.select_one("#field-name.verified") is not None
    assert doc.find("input", attrs={"name": "name"}) is None


def test_the_second_sign_in_finds_the_same_account(oidc_app, oidc_provider):
    oidc_provider.next_sign_in("vneid-0002", name="Lê Văn C")
    sign_in_with_provider(browser(oidc_app))
    oidc_provider.next_sign_in("vneid-0002", name="Lê Văn Cường")
    sign_in_with_provider(browser(oidc_app))
    with oidc_app.app_context():
        assert accounts() == 1
        assert db.session.scalar(select(Account.name)) == "Lê Văn Cường"


def test_signing_out_signs_out_at_the_provider_too(oidc_app, oidc_provider):
    oidc_provider.next_sign_in("vneid-0003", name="Phạm D")
    client = browser(oidc_app)
    sign_in_with_provider(client)
    home = client.get("/")
    response = client.post("/account/sign-out", data={"csrf_token": csrf_token(home)})
    assert response.status_code == 302
    end = response.headers["Location"]
    assert end.startswith(f"{oidc_provider.url}/end_session?")
    query = parse_qs(urlsplit(end).query)
    assert query["id_token_hint"][0].count(".") == 2
    back = at_provider(end)
    assert back == "http://127.0.0.1:5000/account/signed-out"
    assert oidc_provider.log()["end_session"][0]["id_token_hint"] == query["id_token_hint"][0]
    assert client.get("/account/profile").status_code == 302  # signed out here
    with oidc_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccountSession)) == 0


def _refused(response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in page(response).select_one("main").text


@pytest.mark.parametrize(
    ("locale", "words"),
    [("en", "has expired or was started elsewhere"), ("vi", "đã hết hạn hoặc được bắt đầu ở nơi khác")],
)
def test_a_wrong_state_is_refused_and_nothing_stored(oidc_app, oidc_provider, locale, words):
    client = browser(oidc_app, locale)
    back = urlsplit(at_provider(start(client)))
    query = parse_qs(back.query)
    response = client.get(f"{back.path}?code={query['code'][0]}&state=forged")
    _refused(response, 400, words)
    with oidc_app.app_context():
        assert accounts() == 0
    # The code was never sent to the provider's token endpoint.
    assert oidc_provider.log()["token"] == []


def test_a_callback_from_another_browser_is_refused(oidc_app, oidc_provider):
    back = at_provider(start(browser(oidc_app)))
    _refused(browser(oidc_app).get(_path(back)), 400, "has expired or was started elsewhere")


def test_a_replayed_code_is_refused(oidc_app, oidc_provider):
    client = browser(oidc_app)
    back = parse_qs(urlsplit(at_provider(start(client))).query)
    assert (
        client.get(f"/account/oidc/callback?code={back['code'][0]}&state={back['state'][0]}").status_code
        == 302
    )
    # The code, intercepted, sent again from a browser with a sign-in of its own under way: our
    # state check passes, the provider refuses the code (it works once).
    other = browser(oidc_app)
    state = parse_qs(urlsplit(start(other)).query)["state"][0]
    response = other.get(f"/account/oidc/callback?code={back['code'][0]}&state={state}")
    _refused(response, 400, "refused to complete this sign-in")
    assert [t["code"] for t in oidc_provider.log()["token"]] == [back["code"][0]] * 2
    with other.session_transaction() as held:
        assert "account" not in held
    with oidc_app.app_context():
        assert accounts() == 1


def test_an_expired_id_token_is_refused(oidc_app, oidc_provider):
    oidc_provider.next_sign_in("vneid-old", fault="expired", name="Hết Hạn")
    response = sign_in_with_provider(browser(oidc_app))
    _refused(response, 400, "could not be verified")
    with oidc_app.app_context():
        assert accounts() == 0


def test_a_wrong_nonce_is_refused(oidc_app, oidc_provider):
    oidc_provider.next_sign_in("vneid-nonce", fault="nonce")
    _refused(sign_in_with_provider(browser(oidc_app)), 400, "could not be verified")
    with oidc_app.app_context():
        assert accounts() == 0


def test_a_token_for_another_client_is_refused(oidc_app, oidc_provider):
    oidc_provider.next_sign_in("vneid-aud", fault="audience")
    _refused(sign_in_with_provider(browser(oidc_app)), 400, "could not be verified")


def test_a_denied_sign_in_says_so(oidc_app, oidc_provider):
    oidc_provider.next_sign_in(deny=True)
    response = sign_in_with_provider(browser(oidc_app))
    _refused(response, 400, "did not sign you in")
    with oidc_app.app_context():
        assert accounts() == 0


@pytest.mark.parametrize(
    ("locale", "words"), [("en", "did not answer"), ("vi", "Hệ thống định danh không trả lời")]
)
def test_a_provider_that_is_down_gets_a_clear_page(oidc_app, oidc_provider, locale, words):
    client = browser(oidc_app, locale)
    back = at_provider(start(client))
    oidc_provider.stop()
    _refused(client.get(_path(back)), 502, words)
    with oidc_app.app_context():
        assert accounts() == 0


def test_a_provider_down_from_the_start_gets_a_clear_page(make_app, oidc_provider):
    app = make_app(**oidc_provider.settings)
    oidc_provider.stop()
    client = browser(app)
    form = client.get("/account/sign-in")
    response = client.post("/account/oidc/start", data={"csrf_token": csrf_token(form)})
    _refused(response, 502, "did not answer")


@pytest.mark.parametrize(("locale", "words"), [("vi", "VNeID"), ("en", "Sign in with VNeID")])
def test_the_button_shows_only_when_configured(make_app, oidc_provider, locale, words):
    configured = make_app(**oidc_provider.settings).test_client()
    configured.get(f"/language/{locale}")
    button = page(configured.get("/account/sign-in")).select_one("form.provider button")
    assert button is not None
    assert words in button.text
    plain = make_app().test_client()
    assert page(plain.get("/account/sign-in")).select_one("form.provider") is None
