"""Deferred signing: the reference agent, a separate process, signs with a key the portal
never sees; the portal embeds and validates the signature. For the dossier's declaration and a
supplement's alike."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
import requests

from tests.conftest import PIN, csrf_token, page
from tests.pki import PASSPHRASE
from tests.signing.kinds import ToSign
from tests.signing.verifiers import pdfsig


def session_url(to_sign: ToSign, browser: requests.Session, server_url: str) -> str:
    sign_page = browser.get(f"{server_url}{to_sign.page_url}")
    assert page(sign_page).select_one("#method-external") is not None
    opened = browser.post(
        f"{server_url}{to_sign.base}/sign/external", data={"csrf_token": csrf_token(sign_page)}
    )
    assert opened.status_code == 200
    continuing = page(opened).select_one("main a.button")["href"]
    assert continuing == to_sign.dossier_url + ("/review" if to_sign.kind == "dossier" else "/status")
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


def test_the_reference_agent_signs(served, pki, tmp_path):
    to_sign, browser, server_url = served()
    url = session_url(to_sign, browser, server_url)
    key_file = tmp_path / "citizen.p12"
    key_file.write_bytes(pki.pkcs12("citizen"))
    result = agent(url, key_file)
    assert result.returncode == 0, result.stderr
    assert "signed by Nguyễn Thị Thu Hà" in result.stdout
    assert "Nguyễn Thị Thu Hà" in to_sign.signed_by()
    (tmp_path / "signed.pdf").write_bytes(to_sign.signed_pdf())
    report = pdfsig(tmp_path / "signed.pdf")
    assert report.valid, report.text
    assert report.whole_document
    # The session is spent: the same address cannot be used again.
    again = agent(url, key_file)
    assert again.returncode != 0
    assert "409" in again.stderr


@pytest.mark.parametrize(
    ("label", "refused"),
    [
        (
            "rogue_citizen",
            "(422, untrusted): The certificate was not issued by a trusted certification authority",
        ),
        ("future", "(422, not_yet_valid): The certificate was not yet valid when the document was signed"),
    ],
)
def test_a_certificate_that_cannot_sign_is_refused_through_the_agent_for_its_reason(
    served, pki, tmp_path, label, refused
):
    to_sign, browser, server_url = served()
    key_file = tmp_path / f"{label}.p12"
    key_file.write_bytes(pki.pkcs12(label))
    result = agent(session_url(to_sign, browser, server_url), key_file)
    assert result.returncode != 0
    assert refused in result.stderr
    assert to_sign.signed_by() is None
    assert to_sign.signed_pdf() is None


def test_a_forged_signature_is_refused(served, pki):
    to_sign, browser, server_url = served()
    url = session_url(to_sign, browser, server_url)
    cert = base64.b64encode(pki.cert_der("citizen")).decode()
    prepared = requests.post(f"{url}/prepare", json={"certificate": cert, "chain": []}, timeout=30)
    assert prepared.status_code == 200
    forged = base64.b64encode(os.urandom(256)).decode()
    completed = requests.post(f"{url}/complete", json={"signature": forged}, timeout=30)
    assert completed.status_code == 422
    assert completed.json()["accepted"] is False
    assert to_sign.signed_by() is None


def test_an_expired_or_unknown_session_is_refused(served, pki):
    to_sign, browser, server_url = served(EXTERNAL_SIGNING_TTL_MINUTES=1)
    url = session_url(to_sign, browser, server_url)
    cert = base64.b64encode(pki.cert_der("citizen")).decode()
    assert requests.post(f"{url}x/prepare", json={"certificate": cert}, timeout=30).status_code == 404
    assert requests.post(f"{url}/prepare", json={"certificate": "not base64!"}, timeout=30).status_code == 400
    with to_sign.app.app_context():
        from datetime import timedelta

        from app.clock import now
        from app.extensions import db
        from app.signing.models import ExternalSigningSession

        for s in db.session.scalars(db.select(ExternalSigningSession)):
            s.expires_at = now() - timedelta(seconds=1)
        db.session.commit()
    assert requests.post(f"{url}/prepare", json={"certificate": cert}, timeout=30).status_code == 410


def test_the_reference_agent_signs_with_a_token(served, softhsm):
    to_sign, browser, server_url = served()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.signing.agent",
            session_url(to_sign, browser, server_url),
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
    assert "Nguyễn Thị Thu Hà" in to_sign.signed_by()


def test_a_declaration_signed_meanwhile_another_way_closes_the_session(served, citizen_key, pki):
    """Signed with the key file in another tab while the agent was at work: the agent is told
    (409), never a server error, and nothing is recorded twice."""
    to_sign, browser, server_url = served()
    url = session_url(to_sign, browser, server_url)
    cert = base64.b64encode(pki.cert_der("citizen")).decode()
    prepared = requests.post(f"{url}/prepare", json={"certificate": cert, "chain": []}, timeout=30)
    assert prepared.status_code == 200
    assert to_sign.sign_with_key_file(*citizen_key).status_code == 302
    if to_sign.kind == "dossier":
        from tests.journey import submit

        assert submit(to_sign.client, f"{to_sign.dossier_url}/review").status_code == 302
    signature = base64.b64encode(os.urandom(256)).decode()
    completed = requests.post(f"{url}/complete", json={"signature": signature}, timeout=30)
    assert completed.status_code == 409
    assert completed.json()["status"] == 409
    with to_sign.app.app_context():
        from app.extensions import db
        from app.signing.models import DossierSignature
        from app.supplements.models import Supplement

        signatures = db.session.scalars(db.select(DossierSignature)).all()
        supplements = db.session.scalars(db.select(Supplement)).all()
        assert [s.method for s in signatures] == ["pkcs12"]
        assert [s.state for s in supplements] == (["submitted"] if to_sign.kind == "supplement" else [])


def ed25519_certificate() -> bytes:
    """A well-formed certificate whose key (Ed25519) the portal does not sign PAdES with."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID

    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ed25519")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, None)
    )
    return cert.public_bytes(serialization.Encoding.DER)


def test_certificates_the_portal_cannot_prepare_for_are_a_400(served, pki):
    to_sign, browser, server_url = served()
    url = session_url(to_sign, browser, server_url)
    citizen = base64.b64encode(pki.cert_der("citizen")).decode()
    for body in (
        {"certificate": base64.b64encode(ed25519_certificate()).decode(), "chain": []},
        {"certificate": citizen, "chain": [base64.b64encode(bytes.fromhex("3003020101")).decode()]},
    ):
        answer = requests.post(f"{url}/prepare", json=body, timeout=30)
        assert answer.status_code == 400, answer.text
        assert answer.headers["Content-Type"].startswith("application/")
    assert requests.post(f"{url}/prepare", json={"certificate": citizen, "chain": []}, timeout=30).ok
