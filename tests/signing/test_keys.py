"""Key files open as cryptography's own PKCS#12 loader opens them (app.signing.keys.from_pkcs12
decrypts the key bag itself, without the slow RSA consistency check)."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from app.signing.keys import InvalidKeyFile, from_pkcs12
from tests.pki import PASSPHRASE

SECRET = "mật khẩu 12345"


def legacy(builder):
    return builder.key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(hashes.SHA1())  # noqa: S303 (the legacy files still in use)


ENCRYPTIONS = {
    "AES-256 (PBES2)": lambda: serialization.BestAvailableEncryption(SECRET.encode()),
    "3DES (Windows, older OpenSSL)": lambda: legacy(
        serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(2048)
    ).build(SECRET.encode()),
}


def reserialised(pkcs12_file: bytes, encryption, key=None) -> bytes:
    found_key, cert, chain = pkcs12.load_key_and_certificates(pkcs12_file, PASSPHRASE.encode())
    return pkcs12.serialize_key_and_certificates(b"chu-ky", key or found_key, cert, chain, encryption)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("encryption", ENCRYPTIONS, ids=list(ENCRYPTIONS))
def test_a_key_file_opens_with_its_key_certificate_and_chain(pki, encryption):
    made = reserialised(pki.pkcs12("citizen"), ENCRYPTIONS[encryption]())
    key, cert, chain = pkcs12.load_key_and_certificates(made, SECRET.encode())
    signer = from_pkcs12(made, SECRET)
    assert signer.private_key.private_numbers() == key.private_numbers()
    assert signer.signing_cert.dump() == der(cert)
    assert {c.dump() for c in signer.cert_registry} >= {der(c) for c in chain}
    assert signer.signing_cert.subject.native["common_name"]


def test_the_file_as_the_test_pki_writes_it(pki):
    key, cert, _ = pkcs12.load_key_and_certificates(pki.pkcs12("citizen"), PASSPHRASE.encode())
    signer = from_pkcs12(pki.pkcs12("citizen"), PASSPHRASE)
    assert signer.private_key.private_numbers() == key.private_numbers()
    assert signer.signing_cert.dump() == der(cert)


def test_an_unencrypted_file_opens_without_a_passphrase(pki):
    made = reserialised(pki.pkcs12("citizen"), serialization.NoEncryption())
    assert from_pkcs12(made, None).signing_cert.subject.native["common_name"]


@pytest.mark.parametrize("encryption", ENCRYPTIONS, ids=list(ENCRYPTIONS))
def test_a_wrong_passphrase_is_refused(pki, encryption):
    made = reserialised(pki.pkcs12("citizen"), ENCRYPTIONS[encryption]())
    with pytest.raises(InvalidKeyFile):
        from_pkcs12(made, "sai mật khẩu")
    with pytest.raises(InvalidKeyFile):
        from_pkcs12(made, None)


def test_what_is_not_a_key_file_is_refused():
    for data in (b"", b"not a key file", b"0\x82\x00\x00"):
        with pytest.raises(InvalidKeyFile):
            from_pkcs12(data, SECRET)


def test_a_key_without_its_certificate_is_refused(pki):
    """The file's certificate is another key's: no certificate for the key, nothing to sign with."""
    other = ec.generate_private_key(ec.SECP256R1())
    made = reserialised(pki.pkcs12("citizen"), serialization.BestAvailableEncryption(b"x"), key=None)
    _, cert, chain = pkcs12.load_key_and_certificates(made, b"x")
    mismatched = pkcs12.serialize_key_and_certificates(
        None, other, None, [cert, *chain], serialization.BestAvailableEncryption(b"x")
    )
    with pytest.raises(InvalidKeyFile):
        from_pkcs12(mismatched, "x")
