"""A declaration to sign: the dossier's (đơn đề nghị) or a supplement's (đơn bổ sung hồ sơ).

One pipeline (app/signing/services.py) signs, validates and records either of them, whatever the
method: a key file, a card, a signing agent (app/signing/external.py), or a PDF signed elsewhere.
What differs between them is here: which PDF, its signature box and field, the reason written
into the signature, whether it can be signed now, and how an accepted signature is recorded.

Kinds are registered by name, so that a deferred signing session, which outlives the request
that opened it, can find its declaration again; the supplements register theirs from above.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar

from app.documents.declaration import FIELD_NAME, Declaration
from app.dossiers.models import Dossier
from app.signing.validation import Verdict

if TYPE_CHECKING:
    from app.signing.models import ExternalSigningSession

K = TypeVar("K", bound="DeclarationToSign")
KINDS: dict[str, type[DeclarationToSign]] = {}


class DeclarationToSign(ABC):
    """One declaration of one dossier, ready to be signed by its applicant."""

    kind: ClassVar[str]
    reason: ClassVar[str]  # written into the signature (/Reason), in Vietnamese
    field_name: ClassVar[str] = FIELD_NAME

    def __init__(self, dossier: Dossier) -> None:
        self.dossier = dossier

    @abstractmethod
    def declaration(self) -> Declaration:
        """The unsigned PDF, rendered now, with its signature box."""

    @abstractmethod
    def ensure_signable(self) -> None:
        """Raise SigningRefused (message for the applicant, HTTP status) when it cannot be
        signed now: already sent, nothing to declare, no longer the applicant's to change."""

    @abstractmethod
    def record(self, *, signed: bytes, declaration: Declaration, verdict: Verdict, method: str) -> None:
        """Keep an accepted signature and move things on, in one transaction (committed here)."""

    def session_link(self) -> dict[str, object]:
        """Columns of a deferred signing session that point at this declaration."""
        return {"kind": self.kind}

    @classmethod
    @abstractmethod
    def of_session(cls: type[K], dossier: Dossier, session: ExternalSigningSession) -> K | None:
        """The declaration a deferred signing session points at, if it still exists."""


def kind(name: str) -> Callable[[type[K]], type[K]]:
    """Register a kind of declaration under `name`; a name taken twice is a programming error."""

    def register(cls: type[K]) -> type[K]:
        if name in KINDS:
            raise RuntimeError(f"two kinds of declaration are named {name!r}")
        cls.kind = name
        KINDS[name] = cls
        return cls

    return register


def of_session(dossier: Dossier, session: ExternalSigningSession) -> DeclarationToSign | None:
    cls = KINDS.get(session.kind)
    return cls.of_session(dossier, session) if cls is not None else None
