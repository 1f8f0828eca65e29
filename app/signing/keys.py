"""Key material in memory only: PKCS#12 parsed once, the parsed key reused for each signature."""

from __future__ import annotations

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore


class InvalidKeyFile(ValueError):
    """Not a PKCS#12 file, or the passphrase does not open it."""


class LoadedKeySigner(SimpleSigner):
    """A SimpleSigner that signs with the key object it was given.

    pyHanko's SimpleSigner parses its private key again from DER for every signature; for
    RSA that includes slow consistency checks. Here the key is parsed once.
    """

    def __init__(
        self,
        key: RSAPrivateKey | EllipticCurvePrivateKey,
        cert: asn1_x509.Certificate,
        chain: list[asn1_x509.Certificate],
    ) -> None:
        der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        super().__init__(
            signing_cert=cert,
            signing_key=asn1_keys.PrivateKeyInfo.load(der),
            cert_registry=SimpleCertificateStore.from_certs(chain),
        )
        self.private_key = key  # the parsed key, also for the XAdES seal (packaging/manifest.py)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self.private_key, RSAPrivateKey):
            return self.private_key.sign(data, PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(self.private_key, EllipticCurvePrivateKey):
            return self.private_key.sign(data, ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)


def from_pkcs12(data: bytes, passphrase: str | None) -> LoadedKeySigner:
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(
            data, passphrase.encode("utf-8") if passphrase else None
        )
    except (ValueError, TypeError) as exc:
        raise InvalidKeyFile(str(exc)) from None
    if key is None or cert is None or not isinstance(key, RSAPrivateKey | EllipticCurvePrivateKey):
        raise InvalidKeyFile("the file holds no usable key and certificate")

    def asn1(c: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))

    return LoadedKeySigner(key, asn1(cert), [asn1(c) for c in extra or []])
