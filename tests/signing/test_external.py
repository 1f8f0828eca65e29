"""Deferred signing: the reference agent, a separate process, signs with a key the portal
never sees; the portal embeds and validates the signature."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import requests

from tests.conftest import PIN, TEST_CATALOG, csrf_token, page
from tests.dossiers.test_concurrent_submissions import DEFINITION
from tests.journey import draft_over_http
from tests.pki import PASSPHRASE
from tests.signing.verifiers import pdfsig


def draft_ready_to_sign(server) -> tuple[requests.Session, str]:
    return draft_over_http(server.url, DEFINITION)


def session_url(browser: requests.Session, base: str) -> str:
    sign_page = browser.get(f"{base}/sign")
    opened = browser.post(f"{base}/sign/external", data={"csrf_token": csrf_token(sign_page)})
    assert opened.status_code == 200
    return page(opened).select_one("code.session-url").get_text(strip=True)


def agent(url: str, key_file, passphrase: str = PASSPHRASE) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.signing.agent", url, "--pkcs12", str(key_file)],
        env={**os.environ, "OPENDVC_AGENT_SECRET": passphrase, "LANG": "en_US.UTF-8"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_reference_agent_signs(live_server, pki, tmp_path):
    server = live_server(CATALOG_DIR=TEST_CATALOG)
    browser, base = draft_ready_to_sign(server)
    url = session_url(browser, base)
    key_file = tmp_path / "citizen.p12"
    key_file.write_bytes(pki.pkcs12("citizen"))
    result = agent(url, key_file)
    assert result.returncode == 0, result.stderr
    assert "signed by Nguyễn Thị Thu Hà" in result.stdout
    review = page(browser.get(f"{base}/review"))
    assert "Signed by Nguyễn Thị Thu Hà" in review.select_one(".signed").get_text()
    signed = browser.get(f"{base}/signed.pdf").content
    (tmp_path / "signed.pdf").write_bytes(signed)
    report = pdfsig(tmp_path / "signed.pdf")
    assert report.valid, report.text
    assert report.whole_document
    # The session is spent: the same address cannot be used again.
    again = agent(url, key_file)
    assert again.returncode != 0
    assert "409" in again.stderr


def test_an_untrusted_certificate_is_refused_through_the_agent(live_server, pki, tmp_path):
    server = live_server(CATALOG_DIR=TEST_CATALOG)
    browser, base = draft_ready_to_sign(server)
    key_file = tmp_path / "rogue.p12"
    key_file.write_bytes(pki.pkcs12("rogue_citizen"))
    result = agent(session_url(browser, base), key_file)
    assert result.returncode != 0
    assert (
        "(422, untrusted): The certificate was not issued by a trusted certification authority"
        in result.stderr
    )
    assert page(browser.get(f"{base}/review")).select_one(".signed") is None


def test_a_forged_signature_is_refused(live_server, pki):
    server = live_server(CATALOG_DIR=TEST_CATALOG)
    browser, base = draft_ready_to_sign(server)
    url = session_url(browser, base)
    cert = base64.b64encode(pki.cert_der("citizen")).decode()
    prepared = requests.post(f"{url}/prepare", json={"certificate": cert, "chain": []}, timeout=30)
    assert prepared.status_code == 200
    forged = base64.b64encode(os.urandom(256)).decode()
    completed = requests.post(f"{url}/complete", json={"signature": forged}, timeout=30)
    assert completed.status_code == 422
    assert completed.json()["accepted"] is False
    assert page(browser.get(f"{base}/review")).select_one(".signed") is None


def test_an_expired_or_unknown_session_is_refused(live_server, pki):
    server = live_server(CATALOG_DIR=TEST_CATALOG, EXTERNAL_SIGNING_TTL_MINUTES=1)
    browser, base = draft_ready_to_sign(server)
    url = session_url(browser, base)
    cert = base64.b64encode(pki.cert_der("citizen")).decode()
    assert requests.post(f"{url}x/prepare", json={"certificate": cert}, timeout=30).status_code == 404
    assert requests.post(f"{url}/prepare", json={"certificate": "not base64!"}, timeout=30).status_code == 400
    with server.app.app_context():
        from datetime import timedelta

        from app.dossiers.calendar import now
        from app.extensions import db
        from app.signing.models import ExternalSigningSession

        for s in db.session.scalars(db.select(ExternalSigningSession)):
            s.expires_at = now() - timedelta(seconds=1)
        db.session.commit()
    assert requests.post(f"{url}/prepare", json={"certificate": cert}, timeout=30).status_code == 410


def test_the_reference_agent_signs_with_a_token(live_server, softhsm):
    server = live_server(CATALOG_DIR=TEST_CATALOG)
    browser, base = draft_ready_to_sign(server)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.signing.agent",
            session_url(browser, base),
            "--pkcs11-module",
            str(softhsm["PKCS11_MODULE"]),
            "--token-label",
            softhsm["PKCS11_TOKEN_LABEL"],
            "--key-label",
            softhsm["PKCS11_KEY_LABEL"],
        ],
        env={**os.environ, "OPENDVC_AGENT_SECRET": PIN, "LANG": "en_US.UTF-8"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "Signed by Nguyễn Thị Thu Hà" in page(browser.get(f"{base}/review")).select_one(".signed").get_text()
    )
