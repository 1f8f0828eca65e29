"""The card's PIN at the kiosk: typed on the on-screen keypad (kiosk.js) into a password field
the browser never remembers, posted in the body, never in an address, a page, a log or the
session (the signing itself is tests/signing/test_pkcs11.py's)."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import PIN, csrf_token, page
from tests.kiosk.test_kiosk_in_browser import in_browser
from tests.signing.kinds import ToSign, app_config, prepare

WRONG = "135790"


@pytest.fixture
def at_kiosk(make_app, citizen_key, softhsm) -> ToSign:
    ready = prepare("dossier", make_app(**app_config()), citizen_key)
    config = app_config(SIGNING_PROVIDERS=["pkcs11"], KIOSK=True, **softhsm)
    return ready.reopened(make_app(**config))


def test_the_pin_field_is_ready_for_the_keypad_and_never_remembered(at_kiosk):
    doc = page(at_kiosk.client.get(at_kiosk.page_url))
    assert doc.select_one('script[src$="kiosk.js"]')  # the keypad is drawn by kiosk.js
    pin = doc.select_one("#method-pkcs11 input[name=pin]")
    assert pin["type"] == "password"
    assert pin["autocomplete"] == "off"
    form = pin.find_parent("form")
    assert form["method"] == "post"
    assert "pin" not in form["action"]


def test_a_wrong_pin_is_not_echoed_logged_or_kept(at_kiosk, caplog):
    sign_page = at_kiosk.client.get(at_kiosk.page_url)
    with caplog.at_level(logging.DEBUG):
        refused = at_kiosk.client.post(
            f"{at_kiosk.base}/sign/pkcs11", data={"csrf_token": csrf_token(sign_page), "pin": WRONG}
        )
        assert refused.status_code == 400
        signed = at_kiosk.client.post(
            f"{at_kiosk.base}/sign/pkcs11", data={"csrf_token": csrf_token(sign_page), "pin": PIN}
        )
    assert signed.status_code == 302
    assert WRONG not in refused.text
    assert refused.headers["Cache-Control"] == "no-store"
    assert not any(p in r.getMessage() for r in caplog.records for p in (PIN, WRONG))
    assert PIN not in at_kiosk.client.get_cookie("session").value


def test_the_keypad_types_into_the_pin_field(at_kiosk, tmp_path):
    doc = in_browser(at_kiosk.client.get(at_kiosk.page_url).text, tmp_path)
    pin = doc.select_one("#method-pkcs11 input[name=pin]")
    assert pin["inputmode"] == "none"  # the keypad, not the system keyboard
    keypad = pin.find_next_sibling(class_="kiosk-keypad")
    assert [b["data-key"] for b in keypad.select("button")] == [*"123456789", "⌫", "0", "✓"]
