"""Settings: defaults, instance/config.py, OPENDVC_* variables; a wrong one stops start-up."""

from __future__ import annotations

import pytest

from app import ConfigError, create_app
from app.config import load_settings
from tests.conftest import csrf_token, page

LONG_KEY = "k" * 40


def test_environment_overrides_the_instance_file(tmp_path):
    (tmp_path / "config.py").write_text("DEFAULT_LOCALE = 'en'\nDOSSIER_MAX_TOTAL_MB = 10\n")
    settings = load_settings(tmp_path, environ={"OPENDVC_DOSSIER_MAX_TOTAL_MB": "20"})
    assert settings.DEFAULT_LOCALE == "en"
    assert settings.DOSSIER_MAX_TOTAL_MB == 20


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"OPENDVC_DOSSIER_MAX_TOTAL_MB": "lots"},
            "OPENDVC_DOSSIER_MAX_TOTAL_MB: Input should be a valid integer",
        ),
        ({"OPENDVC_DEFAULT_LOCALE": "fr"}, "OPENDVC_DEFAULT_LOCALE: Input should be 'vi' or 'en'"),
        (
            {"OPENDVC_DATABASE_URL": "mysql://x"},
            "OPENDVC_DATABASE_URL: Value error, only sqlite:// and postgresql://",
        ),
        ({"OPENDVC_TIMEZONE": "Mars/Olympus"}, "OPENDVC_TIMEZONE: Value error, unknown time zone"),
        ({"OPENDVC_DATABSE_URL": "sqlite://"}, "OPENDVC_DATABSE_URL: unknown setting"),
        ({"OPENDVC_ENV": "production"}, "OPENDVC_SECRET_KEY: required when OPENDVC_ENV is production"),
        (
            {"OPENDVC_ENV": "production", "OPENDVC_SECRET_KEY": "dev", "OPENDVC_PUBLIC_URL": "https://x.vn"},
            "OPENDVC_SECRET_KEY: at least 32 characters when OPENDVC_ENV is production",
        ),
        (
            {"OPENDVC_ENV": "production", "OPENDVC_SECRET_KEY": LONG_KEY},  # the default public URL
            "OPENDVC_PUBLIC_URL: must be an https:// address when OPENDVC_ENV is production",
        ),
        (
            {
                "OPENDVC_ENV": "production",
                "OPENDVC_SECRET_KEY": LONG_KEY,
                "OPENDVC_PUBLIC_URL": "http://x.vn",
            },
            "OPENDVC_PUBLIC_URL: must be an https:// address",
        ),
        ({"OPENDVC_PUBLIC_URL": "https://x.vn/portal"}, "OPENDVC_PUBLIC_URL: Value error, only scheme, host"),
        ({"OPENDVC_PUBLIC_URL": "ftp://x.vn"}, "OPENDVC_PUBLIC_URL: Value error, an http:// or https://"),
        ({"OPENDVC_STAFF_IDLE_MINUTES": "0"}, "OPENDVC_STAFF_IDLE_MINUTES: Input should be greater than"),
    ],
)
def test_a_wrong_setting_is_named(tmp_path, environ, message):
    with pytest.raises(ConfigError) as exc:
        load_settings(tmp_path, environ=environ)
    assert message in str(exc.value)


def test_a_wrong_setting_stops_the_app(monkeypatch):
    monkeypatch.setenv("OPENDVC_DOSSIER_MAX_TOTAL_MB", "0")
    with pytest.raises(ConfigError, match="OPENDVC_DOSSIER_MAX_TOTAL_MB"):
        create_app()


def test_health_reports_the_database(client):
    body = client.get("/healthz").json
    assert body["database"]["ok"] is True
    assert body["database"]["revision"]


def test_health_reports_a_database_without_schema(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"]["ok"] is False


def test_a_malformed_request_gets_a_translated_page(client):
    client.get("/language/vi")
    response = client.post(
        "/procedures/1.004261/start", data=b"--x\r\nbroken", content_type="multipart/form-data; boundary=x"
    )
    assert response.status_code == 400
    assert page(response).html["lang"] == "vi"
    assert page(response).select_one("h1").get_text(strip=True) != "Something went wrong"


def test_production_cookies_are_secure_and_host_bound(make_app):
    """Even with OPENDVC_SESSION_COOKIE_SECURE off, production cookies go over HTTPS only, under a
    __Host- name (no Domain: a neighbouring subdomain cannot plant one)."""
    public = "https://dichvucong.example.vn"
    app = make_app(ENV="production", SECRET_KEY=LONG_KEY, PUBLIC_URL=public, SESSION_COOKIE_SECURE=False)
    password = "x" * 12
    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{password}\n{password}\n")
    assert added.exit_code == 0, added.output
    client = app.test_client()
    set_cookies = []
    login = client.get(f"{public}/staff/login")
    set_cookies += login.headers.getlist("Set-Cookie")
    signed_in = client.post(
        f"{public}/staff/login",
        data={"csrf_token": csrf_token(login), "username": "lan", "password": password},
        headers={"Referer": f"{public}/staff/login"},
    )
    assert signed_in.status_code == 302
    set_cookies += signed_in.headers.getlist("Set-Cookie")
    set_cookies += client.get(f"{public}/language/en").headers.getlist("Set-Cookie")
    assert len(set_cookies) >= 2
    for cookie in set_cookies:
        name, *attributes = [part.strip() for part in cookie.split(";")]
        flags = {a.split("=")[0].lower() for a in attributes}
        assert name.startswith("__Host-"), cookie
        assert {"secure", "httponly", "path"} <= flags, cookie
        assert "domain" not in flags, cookie
    assert client.get(f"{public}/staff/deliveries").status_code == 200


def test_production_answers_only_its_public_host(make_app):
    app = make_app(ENV="production", SECRET_KEY=LONG_KEY, PUBLIC_URL="https://dichvucong.example.vn")
    client = app.test_client()
    assert client.get("https://dichvucong.example.vn/").status_code == 200
    for host in ("localhost", "127.0.0.1", "evil.example"):
        assert client.get("/", headers={"Host": host}).status_code == 400, host
