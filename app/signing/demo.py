"""`flask --app wsgi pki demo`: a demo PKI in instance/pki so a newcomer can sign end to end.

A root CA, the portal's seal and one demo citizen (PKCS#12, passphrase "demo"); apart from them,
an agency root and one agency key (agency.p12, passphrase "demo") for signing results, since
agencies are trusted apart from applicants. The roots are trusted only because no
SIGNING_TRUST_ROOTS or AGENCY_TRUST is configured; production points the settings at real roots
and a real seal, and never uses these files.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app
from flask.cli import AppGroup

DEMO_PASSPHRASE = "demo"  # noqa: S105 (a published demo key file, never a real one)
pki_cli = AppGroup("pki", help="Demo public key infrastructure.")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OpenDVC demo (không dùng thật)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650 if ca else 730))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def make_demo_pki(folder: Path) -> bool:
    """Create the demo PKI unless it exists; True when anything was created."""
    folder.mkdir(parents=True, exist_ok=True)
    created = False
    for root_file, root_name, keys in (
        (
            "root.pem",
            "OpenDVC Demo Root CA",
            (
                ("seal.p12", "Cổng dịch vụ công OpenDVC (demo)", None),
                ("citizen.p12", "Nguyễn Văn Demo", DEMO_PASSPHRASE),
            ),
        ),
        (
            "agency-root.pem",
            "OpenDVC Demo Agency Root CA",
            (("agency.p12", "Sở Tài nguyên và Môi trường (demo)", DEMO_PASSPHRASE),),
        ),
    ):
        if not (folder / root_file).exists():
            _make_root(folder, root_file, root_name, keys)
            created = True
    return created


def _make_root(folder: Path, root_file: str, root_name: str, keys: tuple) -> None:
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _certificate(root_name, root_key, None, root_key, ca=True)
    for file_name, subject, passphrase in keys:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = _certificate(subject, key, root, root_key, ca=False)
        encryption = (
            serialization.BestAvailableEncryption(passphrase.encode())
            if passphrase
            else serialization.NoEncryption()
        )
        _write(folder / file_name, pkcs12.serialize_key_and_certificates(None, key, cert, [root], encryption))
    _write(folder / root_file, root.public_bytes(serialization.Encoding.PEM))


@pki_cli.command("demo")
def demo() -> None:
    """Create instance/pki with a demo root, seal and citizen key file (passphrase: demo)."""
    folder = Path(current_app.instance_path) / "pki"
    if make_demo_pki(folder):
        click.echo(
            f"demo PKI written to {folder}; citizen key file citizen.p12, passphrase {DEMO_PASSPHRASE!r}"
        )
    else:
        click.echo(f"demo PKI already in {folder}")
