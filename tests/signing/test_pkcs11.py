"""Signing with a card through PKCS#11, against a SoftHSM2 token made for the session: the
dossier's declaration and a supplement's alike."""

from __future__ import annotations

import pytest

from tests.conftest import PIN, csrf_token, page
from tests.signing.kinds import ToSign, app_config, prepare, refusal
from tests.signing.verifiers import pdfsig


@pytest.fixture
def kiosk(kind, make_app, citizen_key, softhsm) -> ToSign:
    """At a kiosk that offers the card only (the dossier a supplement answers was signed before)."""
    ready = prepare(kind, make_app(**app_config()), citizen_key)
    return ready.reopened(make_app(**app_config(SIGNING_PROVIDERS=["pkcs11"], **softhsm)))


def sign_with_pin(to_sign: ToSign, pin: str):
    sign_page = to_sign.client.get(to_sign.page_url)
    assert page(sign_page).select_one("#method-pkcs11") is not None
    assert page(sign_page).select_one("#method-pkcs12") is None  # only what is configured is offered
    return to_sign.client.post(
        f"{to_sign.base}/sign/pkcs11", data={"csrf_token": csrf_token(sign_page), "pin": pin}
    )


def test_signing_with_the_card(kiosk, tmp_path):
    response = sign_with_pin(kiosk, PIN)
    assert response.status_code == 302, page(response).select(".error-summary")
    assert "Nguyễn Thị Thu Hà" in kiosk.signed_by()
    (tmp_path / "signed.pdf").write_bytes(kiosk.signed_pdf())
    report = pdfsig(tmp_path / "signed.pdf")
    assert report.valid, report.text
    assert report.whole_document


def test_the_pin_is_never_kept(kiosk, caplog):
    import logging

    with caplog.at_level(logging.DEBUG):
        sign_with_pin(kiosk, "987654")  # wrong: the failure path logs
        sign_with_pin(kiosk, PIN)
    assert not any(p in r.getMessage() for r in caplog.records for p in (PIN, "987654"))
    cookie = kiosk.client.get_cookie("session").value
    assert PIN not in cookie
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(kiosk.app)
    assert PIN not in repr(serializer.loads(cookie))


def test_a_wrong_pin_is_refused(kiosk):
    response = sign_with_pin(kiosk, "000000")
    assert response.status_code == 400
    assert refusal(response) == "The PIN is not correct"
    assert kiosk.signed_by() is None
    assert kiosk.signed_pdf() is None


def test_no_pin_is_refused(kiosk):
    response = sign_with_pin(kiosk, "")
    assert response.status_code == 400
    assert refusal(response) == "Enter the PIN of the card"
