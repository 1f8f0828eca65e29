"""Signing with a card through PKCS#11, against a SoftHSM2 token made for the session."""

from __future__ import annotations

import pytest

from tests import files
from tests.conftest import PIN, TEST_CATALOG, csrf_token, page
from tests.journey import start, upload
from tests.signing.verifiers import pdfsig
from tests.web.test_steps import base_of, fill_all


@pytest.fixture
def kiosk(make_app, softhsm):
    app = make_app(CATALOG_DIR=TEST_CATALOG, SIGNING_PROVIDERS=["pkcs11"], **softhsm)
    client = app.test_client()
    client.get("/language/en")
    url = start(client, "T.000001")
    fill_all(client, url)
    upload(client, base_of(url) + "/documents", "DOC", "a.pdf", files.pdf())
    return client, base_of(url)


def sign_with_pin(client, base: str, pin: str):
    sign_page = client.get(f"{base}/sign")
    assert page(sign_page).select_one("#method-pkcs11") is not None
    assert page(sign_page).select_one("#method-pkcs12") is None  # only what is configured is offered
    return client.post(f"{base}/sign/pkcs11", data={"csrf_token": csrf_token(sign_page), "pin": pin})


def test_signing_with_the_card(kiosk, tmp_path):
    client, base = kiosk
    response = sign_with_pin(client, base, PIN)
    assert response.status_code == 302, page(response).select(".error-summary")
    assert "Nguyễn Thị Thu Hà" in page(client.get(f"{base}/review")).select_one(".signed").get_text()
    signed = client.get(f"{base}/signed.pdf")
    (tmp_path / "signed.pdf").write_bytes(signed.data)
    signed.close()
    report = pdfsig(tmp_path / "signed.pdf")
    assert report.valid, report.text
    assert report.whole_document


def test_the_pin_is_never_kept(kiosk, caplog):
    import logging

    client, base = kiosk
    with caplog.at_level(logging.DEBUG):
        sign_with_pin(client, base, "987654")  # wrong: the failure path logs
        sign_with_pin(client, base, PIN)
    assert not any(p in r.getMessage() for r in caplog.records for p in (PIN, "987654"))
    cookie = client.get_cookie("session").value
    assert PIN not in cookie
    app = client.application
    from flask.sessions import SecureCookieSessionInterface

    assert PIN not in repr(SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie))


def test_a_wrong_pin_is_refused(kiosk):
    client, base = kiosk
    response = sign_with_pin(client, base, "000000")
    assert response.status_code == 400
    assert page(response).select_one(".error-summary a").get_text(strip=True) == "The PIN is not correct"
    assert client.get(f"{base}/signed.pdf").status_code == 404
