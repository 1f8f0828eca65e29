"""Settings: defaults, instance/config.py, OPENDVC_* variables; a wrong one stops start-up."""

from __future__ import annotations

import pytest

from app import ConfigError, create_app
from app.config import load_settings
from tests.conftest import page


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
