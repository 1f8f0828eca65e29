"""The citizen's whole journey in Debian's chromium over a live server, in both languages, with
JavaScript on and off and with the keyboard alone; axe-core on every page, screenshots of each.
The journey of a procedure with a fee paid before sending pays it with the demo provider."""

from __future__ import annotations

import pytest

from tests.browser.citizen import Citizen, fee_catalog
from tests.pki import PASSPHRASE


@pytest.fixture
def key_file(tmp_path, citizen_key):
    """The test citizen's PKCS#12 file, as the signing page asks for it."""
    path = tmp_path / "chu-ky.p12"
    path.write_bytes(citizen_key[0])
    return path


@pytest.fixture
def paying_server(live_server, tmp_path):
    """The portal whose procedure has a fee paid before sending, the demo provider offered."""
    return live_server(CATALOG_DIR=fee_catalog(tmp_path / "catalog"), PAYMENT_PROVIDERS=["demo"])


def journey(
    browser, server, artifacts, key_file, tmp_path, locale, *, javascript=True, keyboard=False, paying=False
):
    """Apply from the catalogue to the acknowledgement (paying the fee first, with the demo
    provider, when `paying`), then track the dossier in a new browser context (another day, no
    cookies): the citizen and what axe said on every page."""
    options = {"java_script_enabled": javascript}
    context = browser.new_context(**options)
    try:
        citizen = Citizen(context.new_page(), artifacts, locale, keyboard=keyboard, javascript=javascript)
        citizen.find(server.url)
        citizen.fill()
        citizen.attach(tmp_path)
        citizen.sign(key_file, PASSPHRASE)
        code, secret = citizen.submit_and_pay() if paying else citizen.submit()
        assert citizen.page.locator("html").get_attribute("lang") == locale
    finally:
        context.close()
    later = browser.new_context(**options)
    try:
        citizen.use(later.new_page())
        citizen.track(server.url, code, secret)
    finally:
        later.close()
    print(f"screenshots and axe results: {artifacts}")
    return citizen


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_citizen_applies_and_tracks(browser, server, artifacts, key_file, tmp_path, locale, javascript):
    citizen = journey(browser, server, artifacts, key_file, tmp_path, locale, javascript=javascript)
    assert citizen.serious() == []
    assert citizen.refused == []  # site.js, site.css and the pages hold to the content policy


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_keyboard_alone_is_enough(browser, server, artifacts, key_file, tmp_path, locale):
    citizen = journey(browser, server, artifacts, key_file, tmp_path, locale, keyboard=True)
    assert citizen.serious() == []
    assert citizen.refused == []


@pytest.mark.parametrize(
    ("locale", "javascript", "keyboard"),
    [("vi", True, False), ("en", False, False), ("en", True, True)],
    ids=["vi-js", "en-no-js", "en-keyboard"],
)
def test_the_citizen_pays_the_fee_before_the_dossier_is_sent(
    browser, paying_server, artifacts, key_file, tmp_path, locale, javascript, keyboard
):
    citizen = journey(
        browser,
        paying_server,
        artifacts,
        key_file,
        tmp_path,
        locale,
        javascript=javascript,
        keyboard=keyboard,
        paying=True,
    )
    assert citizen.serious() == []
    assert citizen.refused == []
