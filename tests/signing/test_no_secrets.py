"""After signing with a key file, neither the passphrase nor the private key is anywhere the
portal writes: the database, the blob store, the logs, the session cookie."""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from flask.sessions import SecureCookieSessionInterface

from app.extensions import db
from tests.signing.kinds import ToSign


def secrets_of(key_file: bytes, passphrase: str) -> dict[str, bytes]:
    key, _cert, _chain = pkcs12.load_key_and_certificates(key_file, passphrase.encode())
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "passphrase": passphrase.encode(),
        "key file": key_file[100:164],
        "private key (DER)": der[200:264],
        "private key (PEM)": pem.splitlines()[5],
    }


def test_no_key_material_is_kept(to_sign: ToSign, citizen_key, caplog):
    test_app, test_client = to_sign.app, to_sign.client
    secrets = secrets_of(*citizen_key)
    with caplog.at_level(logging.DEBUG):
        assert to_sign.sign_with_key_file(*citizen_key).status_code == 302
    places: dict[str, bytes] = {}
    with test_app.app_context():
        for table in db.metadata.sorted_tables:  # every table, a new one too
            rows = db.session.execute(table.select()).all()
            places[f"table {table.name}"] = repr(rows).encode()
    for path in Path(test_app.config["BLOB_DIR"]).rglob("*"):
        if path.is_file():
            places[f"file {path.name}"] = path.read_bytes()
    places["logs"] = "\n".join(r.getMessage() for r in caplog.records).encode()
    cookie = test_client.get_cookie("session")
    serializer = SecureCookieSessionInterface().get_signing_serializer(test_app)
    places["session"] = repr(serializer.loads(cookie.value)).encode()
    assert any(name.startswith("file ") for name in places)  # the signed PDF is there
    found = [
        (what, where) for what, secret in secrets.items() for where, data in places.items() if secret in data
    ]
    assert found == []
