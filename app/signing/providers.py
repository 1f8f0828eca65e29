"""Signer providers: the contract, and the built-in ones. Each turns what the applicant gives for
one signature (a key file and its passphrase, a card's PIN) into a pyHanko Signer, in memory.

A provider is a `Provider` subclass found through the `opendvc.signers` entry point group. It
declares an `Options` model, validated at start-up from `OPENDVC_SIGNING_OPTIONS[<its name>]`
(some built-ins also read older flat settings, such as `OPENDVC_PKCS11_MODULE`), and implements
one method, `open`. `check` is optional.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field
from pyhanko.sign import signers

from app.signing.keys import InvalidKeyFile, LoadedKeySigner, from_pkcs12

logger = logging.getLogger(__name__)
KEY_FILE_MAX_BYTES = 64 * 1024  # a PKCS#12 file with its chain: a few kilobytes


class SigningRefused(Exception):
    """The applicant's key could not be used; the message says why, in their language."""

    def __init__(self, message: object, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


@dataclass(frozen=True, repr=False)
class Credentials:
    """What the applicant gave for this one signature. Held in memory for the request only;
    never logged (its repr shows nothing)."""

    secret: str = ""  # the key file's passphrase, or the card's PIN
    key_file: bytes | None = None  # a PKCS#12 file, for providers that ask for one

    def __repr__(self) -> str:
        return "Credentials(…)"


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provider(ABC):
    """A way to sign with a key the portal unlocks for one signature.

    Class attributes: `name` (the entry point's name), `Options` (a pydantic model of this
    provider's options, checked at start-up), `asks` (what the signing page asks the applicant
    for: "key_file" for a key file and its passphrase, "pin" for a PIN), `title` and `hint`
    (shown on the signing page), `applicant` (False for the portal's own seal, which is never
    offered to applicants).
    """

    name: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions
    # Option name -> the older flat setting it defaults from (e.g. "module" -> "PKCS11_MODULE").
    FROM_SETTINGS: ClassVar[Mapping[str, str]] = {}
    asks: ClassVar[Literal["key_file", "pin"]] = "pin"
    title: ClassVar[object] = ""
    hint: ClassVar[object | None] = None
    applicant: ClassVar[bool] = True

    def __init__(self, *, options: BaseModel, keys: Mapping[str, str] | None = None) -> None:
        self.options = options
        self._keys = dict(keys or {})

    def key(self, option: str) -> str:
        """The setting an option came from, for messages that stop start-up."""
        return self._keys.get(option, f"OPENDVC_SIGNING_OPTIONS[{self.name}].{option}")

    def check(self) -> None:  # noqa: B027 (optional: most providers have nothing to check)
        """Raise ValueError naming the setting (see `key`) when the configuration cannot work."""

    @abstractmethod
    def open(self, *, credentials: Credentials) -> AbstractContextManager[signers.Signer]:
        """A Signer for one signature, as a context manager: whatever it holds open (a card
        session) is closed on leaving it. Raise SigningRefused, with a message for the applicant
        and an HTTP status, when the credentials do not unlock a key; never another exception
        for anything the applicant did. The credentials must not be kept or logged."""


KEY_FILE_REFUSED = _l(
    "The key file could not be opened: check that it is a PKCS#12 file (.p12, .pfx) and its passphrase"
)


class Pkcs12Provider(Provider):
    """The applicant gives a PKCS#12 file and its passphrase for this one signature."""

    name = "pkcs12"
    asks = "key_file"
    title = _l("With a key file")
    hint = _l(
        "Your key file and its passphrase are used for this signature only, in memory: they are never stored."
    )

    def open(self, *, credentials: Credentials) -> AbstractContextManager[signers.Signer]:
        if not credentials.key_file:
            raise SigningRefused(_l("Select your key file"))
        try:
            return nullcontext(from_pkcs12(credentials.key_file, credentials.secret))
        except InvalidKeyFile:
            raise SigningRefused(KEY_FILE_REFUSED) from None


class SealOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pkcs12: Path | None = None
    passphrase: str | None = None


class SealProvider(Provider):
    """The portal's own certificate: seals receipts and packages. Loaded once, kept in memory;
    never offered to applicants."""

    name = "seal"
    Options = SealOptions
    options: SealOptions
    FROM_SETTINGS = {"pkcs12": "SEAL_PKCS12", "passphrase": "SEAL_PASSPHRASE"}
    applicant = False
    _signer: LoadedKeySigner | None = None

    def check(self) -> None:
        path = self.options.pkcs12
        if path is None:
            return
        if not path.is_file():
            raise ValueError(f"{self.key('pkcs12')}: {path} is not a file")
        try:
            self._signer = from_pkcs12(path.read_bytes(), self.options.passphrase)
        except InvalidKeyFile as exc:
            raise ValueError(
                f"{self.key('pkcs12')}: cannot open {path} ({exc}); check {self.key('passphrase')}"
            ) from None

    @property
    def configured(self) -> bool:
        return self._signer is not None

    def signer(self) -> LoadedKeySigner:
        """The seal itself, for the portal's own documents."""
        if self._signer is None:
            raise RuntimeError("no seal is configured (OPENDVC_SEAL_PKCS12)")
        return self._signer

    def open(self, *, credentials: Credentials) -> AbstractContextManager[signers.Signer]:
        if self._signer is None:
            raise SigningRefused(_l("No seal is configured here"), 409)
        return nullcontext(self._signer)


class Pkcs11Options(BaseModel):
    model_config = ConfigDict(extra="forbid")
    module: Path | None = None
    token_label: str | None = None
    key_label: str | None = None


class Pkcs11Provider(Provider):
    """A token or a kiosk's card reader behind a PKCS#11 module; the applicant types the PIN."""

    name = "pkcs11"
    Options = Pkcs11Options
    options: Pkcs11Options
    FROM_SETTINGS = {
        "module": "PKCS11_MODULE",
        "token_label": "PKCS11_TOKEN_LABEL",
        "key_label": "PKCS11_KEY_LABEL",
    }
    title = _l("With the card in the reader")

    def check(self) -> None:
        o = self.options
        if o.module is None:
            return
        if not o.module.is_file():
            raise ValueError(f"{self.key('module')}: {o.module} is not a file")
        if not o.token_label or not o.key_label:
            raise ValueError(
                f"{self.key('token_label')} and {self.key('key_label')} are required with a module"
            )

    def open(self, *, credentials: Credentials) -> AbstractContextManager[signers.Signer]:
        if not credentials.secret:
            raise SigningRefused(_l("Enter the PIN of the card"))
        return self._session(credentials.secret)

    @contextmanager
    def _session(self, pin: str) -> Iterator[signers.Signer]:
        # PKCS#11 (a C library, pyHanko's token layer) is loaded only once a card reader is used.
        from pkcs11 import PinIncorrect, PinLenRange  # import here: card readers only
        from pyhanko.config.pkcs11 import TokenCriteria  # import here: card readers only
        from pyhanko.sign import pkcs11  # import here: card readers only

        o = self.options
        if o.module is None:
            raise SigningRefused(_l("No card reader is configured here"), 409)
        try:
            session = pkcs11.open_pkcs11_session(
                str(o.module), token_criteria=TokenCriteria(label=o.token_label), user_pin=pin
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
                session, key_label=o.key_label, cert_label=o.key_label, other_certs_to_pull=None
            )
        finally:
            session.close()


class FailingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: int = Field(default=503, ge=400, le=599)  # what the refusal answers


class FailingProvider(Provider):
    """Never signs: asks for a PIN and refuses it. For tests and demonstrations of the failure
    path; offered only when `OPENDVC_SIGNING_PROVIDERS` names it."""

    name = "failing"
    Options = FailingOptions
    options: FailingOptions
    title = _l("With the demonstration signer that always fails")

    def open(self, *, credentials: Credentials) -> AbstractContextManager[signers.Signer]:
        raise SigningRefused(_l("The demonstration signer never signs"), self.options.status)
