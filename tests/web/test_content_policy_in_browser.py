"""A real browser (Debian's headless chromium) loads the key pages of the journey, the signing,
tracking and staff pages from a live server, with the real site.js and site.css, under the
portal's Content-Security-Policy: it reports no violation. A control page with inline code,
served under the same policy, shows the browser does report them."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.catalog.loader import load_folder
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.journey import draft_over_http
from tests.web.chromium import Browser, chromium_or_skip

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
INLINE = (
    "<!doctype html><html><head><title>x</title><style>p { color: red }</style></head>"
    '<body><p style="color: blue">x</p><script>document.title = "ran";</script></body></html>'
)


def visit(browser: Browser, server_url: str, path: str) -> list[str]:
    """The violations of one page, which the browser was shown (not redirected away from)."""
    reported = browser.open(server_url + path)
    assert browser.location() == server_url + path
    return reported


@pytest.fixture
def browser(tmp_path):
    found = Browser(chromium_or_skip(), tmp_path / "profile")
    yield found
    found.close()


def test_no_page_of_the_journey_violates_the_policy(live_server, browser, citizen_key):
    server = live_server(CATALOG_DIR=TEST_CATALOG, RATE_LIMITS_ENABLED=False)
    server.app.add_url_rule("/_inline", "inline_control", lambda: INLINE)  # before the first request

    # The control: the same policy, inline code: the browser reports each piece.
    reported = browser.open(f"{server.url}/_inline")
    assert any("style-src" in v for v in reported), reported
    assert any("script-src" in v for v in reported), reported

    # A complete draft made over HTTP; the browser takes its session.
    requests_browser, address = draft_over_http(server.url, DEFINITION)
    base = urlsplit(address).path
    browser.set_cookie(server.url, "session", requests_browser.cookies["session"])
    pages = [
        "/",
        "/?q=test",
        f"/procedures/{DEFINITION.code}",
        *(f"{base}/steps/{step.id}" for step in DEFINITION.form.steps),
        f"{base}/documents",
        f"{base}/review",
        f"{base}/sign",
        "/track",
        "/staff/login",
        "/no/such/page",
    ]
    violations = {url: visit(browser, server.url, url) for url in pages}
    assert {url: v for url, v in violations.items() if v} == {}

    # Signed and submitted: the acknowledgement, the dossier's page, the receipt.
    pkcs12, passphrase = citizen_key
    sign_page = requests_browser.get(f"{server.url}{base}/sign")
    signed = requests_browser.post(
        f"{server.url}{base}/sign/pkcs12",
        data={"csrf_token": csrf_token(sign_page), "passphrase": passphrase},
        files={"key_file": ("chu-ky.p12", pkcs12)},
    )
    assert signed.status_code == 200, page(signed).select(".error-summary")
    review = requests_browser.get(f"{server.url}{base}/review")
    acknowledgement = requests_browser.post(
        f"{server.url}{base}/review", data={"csrf_token": csrf_token(review)}
    )
    assert acknowledgement.url.endswith("/acknowledgement"), acknowledgement.url
    browser.set_cookie(server.url, "session", requests_browser.cookies["session"])
    after = [f"{base}/acknowledgement", f"{base}/status", f"{base}/receipt", f"{base}/receipt?layout=kiosk"]
    violations = {url: visit(browser, server.url, url) for url in after}
    assert {url: v for url, v in violations.items() if v} == {}
