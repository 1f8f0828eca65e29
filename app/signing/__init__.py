"""Signing: signer providers found by entry point, PAdES levels, trust and validation."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from flask import Flask, current_app
from pydantic import ValidationError
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko_certvalidator import ValidationContext

from app import plugins
from app.config import ConfigError, Settings
from app.signing.demo import pki_cli
from app.signing.fetching import AllowlistedFetcherBackend
from app.signing.pades import Level
from app.signing.providers import Credentials, Provider, SealProvider, SigningRefused
from app.signing.validation import REASONS, Verdict, fingerprint

GROUP = "opendvc.signers"
# Ways to sign that are not providers: a PDF signed elsewhere, or a signing agent (deferred).
METHODS = {"upload", "external"}
__all__ = [
    "GROUP",
    "Credentials",
    "Level",
    "Provider",
    "Signing",
    "SigningRefused",
    "get_signing",
    "load_providers",
]


def load_providers() -> dict[str, type[Provider]]:
    # Provider is abstract on purpose: load() only checks that entry points subclass it.
    return plugins.load(GROUP, Provider)  # type: ignore[type-abstract]


def _certificates(path: Path) -> list[asn1_x509.Certificate]:
    data = path.read_bytes()
    if pem.detect(data):
        return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [asn1_x509.Certificate.load(data)]


def _read_roots(paths: list[Path], setting: str) -> list[asn1_x509.Certificate]:
    roots: list[asn1_x509.Certificate] = []
    for path in paths:
        try:
            roots.extend(_certificates(path))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"OPENDVC_{setting}: cannot read {path}: {exc}") from None
    return roots


def _folded(dn: str) -> str:
    return unicodedata.normalize("NFC", dn).casefold()


@dataclass(frozen=True)
class AgencyTrust:
    """The roots a back office's agencies sign results under, and the issuers or subjects
    (RFC 4514) allowed to sign them when pinned."""

    roots: list[asn1_x509.Certificate]
    issuers: frozenset[str]
    subjects: frozenset[str]

    def allows(self, verdict: Verdict) -> bool:
        if self.issuers and _folded(verdict.issuer_dn or "") not in self.issuers:
            return False
        return not self.subjects or _folded(verdict.subject_dn or "") in self.subjects


def _providers(settings: Settings, demo: Path) -> dict[str, Provider]:
    """Every registered provider whose options validate, checked; as the back-office adapters
    are: options from OPENDVC_SIGNING_OPTIONS[<name>], over defaults from the older flat
    settings. A provider given options that do not validate, or that fails its check, stops
    start-up; one not configured whose defaults do not validate is left out."""
    known = load_providers()
    given: dict[str, dict] = settings.SIGNING_OPTIONS
    unknown = sorted(given.keys() - known.keys())
    if unknown:
        raise ConfigError(f"OPENDVC_SIGNING_OPTIONS: unknown provider(s) {unknown}; known: {sorted(known)}")
    flat = settings.model_dump()
    if flat["SEAL_PKCS12"] is None and (demo / "seal.p12").exists():
        flat["SEAL_PKCS12"] = demo / "seal.p12"
    found: dict[str, Provider] = {}
    for name, cls in known.items():
        defaults = {o: flat[s] for o, s in cls.FROM_SETTINGS.items() if flat.get(s) is not None}
        own = given.get(name, {})
        keys = {o: f"OPENDVC_{cls.FROM_SETTINGS[o]}" for o in defaults if o not in own}
        try:
            options = cls.Options.model_validate({**defaults, **own})
        except ValidationError as exc:
            if name not in given:
                continue
            raise ConfigError(f"OPENDVC_SIGNING_OPTIONS[{name}]: {plugins.problems(exc)}") from None
        provider = cls(options=options, keys=keys)
        try:
            provider.check()
        except ValueError as exc:
            raise ConfigError(f"signer provider {name}: {exc}") from None
        found[name] = provider
    return found


class Signing:
    def __init__(self, settings: Settings, instance_path: Path) -> None:
        demo = instance_path / "pki"
        roots = settings.SIGNING_TRUST_ROOTS or ([demo / "root.pem"] if (demo / "root.pem").exists() else [])
        # Applicants' signatures: the national root and the licensed public CAs.
        self.trust_roots = _read_roots(roots, "SIGNING_TRUST_ROOTS")
        # Agencies' signatures on results, per back office; never the applicants' roots.
        self.agency_trust: dict[str, AgencyTrust] = {
            name: AgencyTrust(
                _read_roots(trust.roots, f"AGENCY_TRUST[{name}].roots"),
                frozenset(map(_folded, trust.issuers)),
                frozenset(map(_folded, trust.subjects)),
            )
            for name, trust in settings.AGENCY_TRUST.items()
        }
        demo_agency = demo / "agency-root.pem"
        self.demo_agency = (
            AgencyTrust(_read_roots([demo_agency], "AGENCY_TRUST"), frozenset(), frozenset())
            if not settings.AGENCY_TRUST and demo_agency.exists()
            else None
        )
        self.fetch_prefixes = tuple(settings.SIGNING_FETCH_URL_PREFIXES)
        self.timestamper: TimeStamper | None = (
            HTTPTimeStamper(settings.SIGNING_TSA_URL, timeout=10) if settings.SIGNING_TSA_URL else None
        )
        if settings.SIGNING_TSA_URL is None:
            self.level = Level.B_B
        elif settings.SIGNING_LTA:
            self.level = Level.B_LTA
        elif settings.SIGNING_EMBED_REVOCATION:
            self.level = Level.B_LT
        else:
            self.level = Level.B_T
        self.providers = _providers(settings, demo)
        offered = set(settings.SIGNING_PROVIDERS) - METHODS
        unknown = offered - self.providers.keys()
        if unknown:
            raise ConfigError(
                f"OPENDVC_SIGNING_PROVIDERS: unknown {sorted(unknown)}; known: {sorted(self.providers)}"
            )
        not_applicants = sorted(p for p in offered if not self.providers[p].applicant)
        if not_applicants:
            raise ConfigError(f"OPENDVC_SIGNING_PROVIDERS: {not_applicants} cannot be offered to applicants")
        self.offered = [p for p in settings.SIGNING_PROVIDERS if p in self.providers or p in METHODS]
        seal = self.providers.get("seal")
        # The portal's own seal never passes as anyone's signature from outside.
        self.not_signers: frozenset[bytes] = frozenset(
            {fingerprint(seal.signer().signing_cert)}
            if isinstance(seal, SealProvider) and seal.configured
            else set()
        )

    def context(self, *, fetch: bool = True) -> ValidationContext:
        """For applicants' signatures. A fresh context per validation: revocation data fetched
        for one is not reused stale. Fetching only from the configured places (fetching.py)."""
        return self._context(self.trust_roots, fetch=fetch)

    def agency(self, backoffice: str) -> AgencyTrust | None:
        return self.agency_trust.get(backoffice, self.demo_agency)

    def agency_context(self, trust: AgencyTrust) -> ValidationContext:
        return self._context(trust.roots, fetch=True)

    def _context(self, roots: list[asn1_x509.Certificate], *, fetch: bool) -> ValidationContext:
        fetch = fetch and bool(self.fetch_prefixes)
        return ValidationContext(
            trust_roots=roots,
            allow_fetching=fetch,
            revocation_mode="soft-fail",
            # requests-based: pyHanko's default aiohttp session would outlive asyncio.run().
            fetcher_backend=AllowlistedFetcherBackend(self.fetch_prefixes) if fetch else None,
        )

    def provider(self, name: str) -> Provider:
        return self.providers[name]


def init_app(app: Flask) -> None:
    app.cli.add_command(pki_cli)
    app.jinja_env.globals.update(reasons=REASONS)
    app.extensions["opendvc.signing"] = Signing(app.config["OPENDVC"], Path(app.instance_path))


def get_signing() -> Signing:
    return current_app.extensions["opendvc.signing"]
