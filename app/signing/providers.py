"""Built-in signer providers. Each turns what it is given into a pyHanko Signer, in memory."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict
from pyhanko.sign import signers

from app.signing.keys import InvalidKeyFile, from_pkcs12

logger = logging.getLogger(__name__)


class SigningRefused(Exception):
    """The applicant's key could not be used; the message says why, in their language."""

    def __init__(self, message: object, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Provider:
    """A way to sign. Subclasses are found through the `opendvc.signers` entry point group.

    `Options` is a pydantic model read from the settings at start-up (its field names are the
    setting names); `check()` fails start-up when the provider cannot work as configured.
    """

    name: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, *, options: BaseModel) -> None:
        self.options = options

    def check(self) -> None:
        """Raise ValueError naming the setting when the configuration cannot work."""


KEY_FILE_REFUSED = _l(
    "The key file could not be opened: check that it is a PKCS#12 file (.p12, .pfx) and its passphrase"
)


class Pkcs12Provider(Provider):
    """The applicant gives a PKCS#12 file and its passphrase for this one signature."""

    name = "pkcs12"
    MAX_BYTES = 64 * 1024

    def signer(self, *, pkcs12: bytes, passphrase: str) -> signers.Signer:
        try:
            return from_pkcs12(pkcs12, passphrase)
        except InvalidKeyFile:
            raise SigningRefused(KEY_FILE_REFUSED) from None


class SealOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    SEAL_PKCS12: Path | None = None
    SEAL_PASSPHRASE: str | None = None


class SealProvider(Provider):
    """The portal's own certificate: seals receipts and packages. Loaded once, kept in memory."""

    name = "seal"
    Options = SealOptions
    _signer: signers.Signer | None = None

    def check(self) -> None:
        path = self.options.SEAL_PKCS12
        if path is None:
            return
        if not path.is_file():
            raise ValueError(f"OPENDVC_SEAL_PKCS12: {path} is not a file")
        try:
            self._signer = from_pkcs12(path.read_bytes(), self.options.SEAL_PASSPHRASE)
        except InvalidKeyFile as exc:
            raise ValueError(
                f"OPENDVC_SEAL_PKCS12: cannot open {path} ({exc}); check OPENDVC_SEAL_PASSPHRASE"
            ) from None

    @property
    def configured(self) -> bool:
        return self._signer is not None

    def signer(self) -> signers.Signer:
        if self._signer is None:
            raise RuntimeError("no seal is configured (OPENDVC_SEAL_PKCS12)")
        return self._signer


class Pkcs11Options(BaseModel):
    model_config = ConfigDict(extra="ignore")
    PKCS11_MODULE: Path | None = None
    PKCS11_TOKEN_LABEL: str | None = None
    PKCS11_KEY_LABEL: str | None = None


class Pkcs11Provider(Provider):
    """A token or a kiosk's card reader behind a PKCS#11 module; the applicant types the PIN."""

    name = "pkcs11"
    Options = Pkcs11Options

    def check(self) -> None:
        o = self.options
        if o.PKCS11_MODULE is None:
            return
        if not o.PKCS11_MODULE.is_file():
            raise ValueError(f"OPENDVC_PKCS11_MODULE: {o.PKCS11_MODULE} is not a file")
        if not o.PKCS11_TOKEN_LABEL or not o.PKCS11_KEY_LABEL:
            raise ValueError(
                "OPENDVC_PKCS11_TOKEN_LABEL and OPENDVC_PKCS11_KEY_LABEL are required with a module"
            )

    @contextmanager
    def signer(self, *, pin: str) -> Iterator[signers.Signer]:
        from pkcs11 import PinIncorrect, PinLenRange
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11

        o = self.options
        if o.PKCS11_MODULE is None:
            raise SigningRefused(_l("No card reader is configured here"), 409)
        try:
            session = pkcs11.open_pkcs11_session(
                str(o.PKCS11_MODULE), token_criteria=TokenCriteria(label=o.PKCS11_TOKEN_LABEL), user_pin=pin
            )
        except (PinIncorrect, PinLenRange):
            raise SigningRefused(_l("The PIN is not correct")) from None
        except Exception as exc:
            logger.warning("PKCS#11 session failed: %s", type(exc).__name__)  # never the PIN
            raise SigningRefused(
                _l("The card could not be read: check that it is in the reader"), 503
            ) from None
        try:
            # other_certs_to_pull=None: the issuing chain stored on the card goes into the CMS.
            yield pkcs11.PKCS11Signer(
                session, key_label=o.PKCS11_KEY_LABEL, cert_label=o.PKCS11_KEY_LABEL, other_certs_to_pull=None
            )
        finally:
            session.close()
