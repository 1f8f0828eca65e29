"""The citizen's whole journey in Debian's chromium over a live server, in both languages, with
JavaScript on and off and with the keyboard alone; axe-core on every page, screenshots of each."""

from __future__ import annotations

import pytest

from tests.browser.citizen import Citizen
from tests.pki import PASSPHRASE


@pytest.fixture
def key_file(tmp_path, citizen_key):
    """The test citizen's PKCS#12 file, as the signing page asks for it."""
    path = tmp_path / "chu-ky.p12"
    path.write_bytes(citizen_key[0])
    return path


def journey(browser, server, artifacts, key_file, tmp_path, locale, *, javascript=True, keyboard=False):
    """Apply from the catalogue to the acknowledgement, then track the dossier in a new browser
    context (another day, no cookies): the citizen and what axe said on every page."""
    options = {"java_script_enabled": javascript}
    context = browser.new_context(**options)
    try:
        citizen = Citizen(context.new_page(), artifacts, locale, keyboard=keyboard, javascript=javascript)
        citizen.find(server.url)
        citizen.fill()
        citizen.attach(tmp_path)
        citizen.sign(key_file, PASSPHRASE)
        code, secret = citizen.submit()
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
