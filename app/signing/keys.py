"""Key material in memory only: PKCS#12 parsed once, the parsed key reused for each signature.

Opening an applicant's PKCS#12 with cryptography's loader checks the RSA key's consistency
(primality tests of its factors): ~50 ms, most of the time of a B-B signature with a key file.
The key is the applicant's own and is used once, for a signature that is validated before it is
kept (app/signing/services.py, check_signed), so a broken key gives a refused signature, not a
wrong one kept: `from_pkcs12` decrypts the key bag itself without that check, with cryptography's
PKCS#8 decryption, and leaves the certificates to cryptography's PKCS#12 loader. A file laid out
otherwise (a key in an encrypted container, several keys) goes through the loader whole."""

from __future__ import annotations

from typing import Any

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
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

    async def signed_attrs(self, *args: Any, **kwargs: Any) -> cms.CMSAttributes:
        """pyHanko's signed attributes, read back from their DER. asn1crypto serialises a value
        built from Python objects again at every dump, and deep-copies its tree to tag it
        implicitly in the SignerInfo: they were dumped four times a signature, a quarter of a
        seal. Read from bytes, they dump and copy as those bytes. Same DER either way."""
        attrs = await super().signed_attrs(*args, **kwargs)
        return cms.CMSAttributes.load(attrs.dump())


PrivateKey = RSAPrivateKey | EllipticCurvePrivateKey


def _split(data: bytes) -> tuple[bytes, bool, bytes] | None:
    """The one key bag of a PKCS#12 file (as PKCS#8), whether it is encrypted, and the file without it
    (nor its MAC, computed over the whole), when the key lies encrypted (a shrouded key bag, whose
    decryption checks the passphrase) in a container of its own that is not, as OpenSSL,
    certomancer and Windows write them; else None."""
    try:
        pfx = asn1_pkcs12.Pfx.load(data)
        if pfx["auth_safe"]["content_type"].native != "data":
            return None
        kept, key_bags = [], []
        for info in pfx.authenticated_safe:
            if info["content_type"].native != "data":
                kept.append(info)
                continue
            bags = asn1_pkcs12.SafeContents.load(info["content"].native)
            keys = [b for b in bags if b["bag_id"].native in ("key_bag", "pkcs8_shrouded_key_bag")]
            if not keys:
                kept.append(info)
                continue
            if len(keys) != len(bags):
                return None
            key_bags.extend(keys)
        if len(key_bags) != 1:
            return None
        safe = asn1_pkcs12.AuthenticatedSafe(kept).dump()
        rest = asn1_pkcs12.Pfx({"version": 3, "auth_safe": {"content_type": "data", "content": safe}}).dump()
        bag = key_bags[0]
        if bag["bag_id"].native != "pkcs8_shrouded_key_bag":
            return None  # a key in clear: only the file's MAC checks the passphrase, so the loader's way
        return bag["bag_value"].untag().dump(), True, rest
    except (ValueError, TypeError, KeyError):
        return None


def _opened(data: bytes, passphrase: bytes | None) -> tuple[PrivateKey | None, x509.Certificate | None, list]:
    split = _split(data)
    if split is None:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
        return key, cert, list(extra)  # type: ignore[return-value]
    key_der, encrypted, rest = split
    found = serialization.load_der_private_key(
        key_der, passphrase if encrypted else None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(found, RSAPrivateKey | EllipticCurvePrivateKey):
        return None, None, []
    _, _, certs = pkcs12.load_key_and_certificates(rest, passphrase)
    public = found.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def own(c: x509.Certificate) -> bool:
        return (
            c.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            == public
        )

    mine = next((c for c in certs if own(c)), None)
    return found, mine, [c for c in certs if c is not mine]


def from_pkcs12(data: bytes, passphrase: str | None) -> LoadedKeySigner:
    try:
        key, cert, extra = _opened(data, passphrase.encode("utf-8") if passphrase else None)
    except (ValueError, TypeError) as exc:
        raise InvalidKeyFile(str(exc)) from None
    if key is None or cert is None or not isinstance(key, RSAPrivateKey | EllipticCurvePrivateKey):
        raise InvalidKeyFile("the file holds no usable key and certificate")

    def asn1(c: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))

    return LoadedKeySigner(key, asn1(cert), [asn1(c) for c in extra or []])
