"""The sign-on settings are checked at start-up; the client secret and the id_token never reach
the log."""

from __future__ import annotations

import logging

import pytest

from app import ConfigError, create_app
from tests.accounts.test_oidc import browser, sign_in_with_provider
from tests.oidcprovider import CLIENT_SECRET


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"OIDC_ISSUER": "https://sso.example.vn"}, "OIDC_CLIENT_ID"),
        ({"OIDC_ISSUER": "sso.example.vn", "OIDC_CLIENT_ID": "x"}, "OIDC_ISSUER"),
        (
            {"OIDC_ISSUER": "https://sso.example.vn", "OIDC_CLIENT_ID": "x", "OIDC_SCOPES": "profile"},
            "OIDC_SCOPES",
        ),
        ({"OIDC_CLAIMS": '{"sub": "password"}'}, "OIDC_CLAIMS"),
        ({"RATE_LIMIT_SIGN_IN": "often"}, "RATE_LIMIT_SIGN_IN"),
    ],
)
def test_wrong_sign_on_settings_stop_start_up(tmp_path, settings, named):
    with pytest.raises(ConfigError, match=named):
        create_app({"SECRET_KEY": "t", **settings}, instance_path=str(tmp_path))


def test_production_wants_an_https_issuer(tmp_path):
    with pytest.raises(ConfigError, match="OIDC_ISSUER"):
        create_app(
            {
                "ENV": "production",
                "SECRET_KEY": "s" * 40,
                "PUBLIC_URL": "https://dvc.example.vn",
                "OIDC_ISSUER": "http://sso.example.vn",
                "OIDC_CLIENT_ID": "x",
            },
            instance_path=str(tmp_path),
        )


def test_neither_the_secret_nor_the_id_token_is_logged(make_app, oidc_provider, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(**oidc_provider.settings)
    oidc_provider.next_sign_in("vneid-log", name="Nhật Ký")
    client = browser(app)
    sign_in_with_provider(client)
    with client.session_transaction() as held:
        id_token = held["oidc_id_token"]
    oidc_provider.next_sign_in("vneid-log", fault="expired")
    sign_in_with_provider(browser(app))  # a failure is logged: by its kind only
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert CLIENT_SECRET not in logged
    assert id_token not in logged
    assert id_token.split(".")[1] not in logged
