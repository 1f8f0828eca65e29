"""Reference signing agent for deferred signing: the key stays with the citizen.

    python -m app.signing.agent SESSION_URL --pkcs12 FILE
    python -m app.signing.agent SESSION_URL --pkcs11-module LIB --token-label T --key-label K

SESSION_URL is shown to the applicant on the signing page. The passphrase or PIN is read from
OPENDVC_AGENT_SECRET when set, else asked for on the terminal; it never leaves this process.
The protocol (two JSON POSTs) is in the README, for USB-token plugins and remote signing services.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import getpass
import os
import sys
from contextlib import AbstractContextManager, nullcontext

import requests
from pyhanko.sign import signers

from app.signing.keys import from_pkcs12
from app.signing.providers import Credentials, Pkcs11Options, Pkcs11Provider


def _secret(prompt: str) -> str:
    return os.environ.get("OPENDVC_AGENT_SECRET") or getpass.getpass(prompt)


def _signer(args: argparse.Namespace) -> AbstractContextManager[signers.Signer]:
    if args.pkcs12:
        with open(args.pkcs12, "rb") as f:
            return nullcontext(from_pkcs12(f.read(), _secret("Passphrase of the key file: ")))
    provider = Pkcs11Provider(
        options=Pkcs11Options(
            module=args.pkcs11_module, token_label=args.token_label, key_label=args.key_label
        )
    )
    return provider.open(credentials=Credentials(secret=_secret("PIN: ")))


def run(session_url: str, signer: signers.Signer, timeout: float = 30) -> dict:
    certificate = signer.signing_cert
    if certificate is None:
        raise SystemExit("the key has no certificate")
    chain = [c for c in signer.cert_registry if c != certificate]
    prepared = requests.post(
        f"{session_url}/prepare",
        headers={"Accept-Language": os.environ.get("LANG", "vi")[:2]},
        json={
            "certificate": base64.b64encode(certificate.dump()).decode(),
            "chain": [base64.b64encode(c.dump()).decode() for c in chain],
        },
        timeout=timeout,
    )
    if prepared.status_code != 200:
        raise SystemExit(f"prepare refused ({prepared.status_code}): {prepared.json().get('title')}")
    to_sign = base64.b64decode(prepared.json()["to_sign"])
    signature = asyncio.run(signer.async_sign_raw(to_sign, prepared.json()["digest_algorithm"]))
    completed = requests.post(
        f"{session_url}/complete",
        json={"signature": base64.b64encode(signature).decode()},
        headers={"Accept-Language": os.environ.get("LANG", "vi")[:2]},
        timeout=timeout,
    )
    body = completed.json()
    if completed.status_code != 200:
        reason = body.get("reason") or body.get("title")
        raise SystemExit(f"signature refused ({completed.status_code}, {reason}): {body.get('detail', '')}")
    return body


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.signing.agent", description=__doc__.splitlines()[0])
    parser.add_argument("session_url")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pkcs12", metavar="FILE")
    source.add_argument("--pkcs11-module", metavar="LIB")
    parser.add_argument("--token-label")
    parser.add_argument("--key-label")
    args = parser.parse_args(argv)
    with _signer(args) as signer:
        result = run(args.session_url.rstrip("/"), signer)
    print(f"signed by {result['signer']} (PAdES {result['level']})")


if __name__ == "__main__":
    main(sys.argv[1:])
