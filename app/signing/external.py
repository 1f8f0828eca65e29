"""Deferred signing: the key never reaches the portal.

1. The applicant asks for it: a session with a one-time id (`open`), pointing at one
   declaration to sign (the dossier's, or a supplement's: app/signing/declarations.py).
2. The signing agent sends its certificate chain; the portal prepares the declaration with a
   signature placeholder and the visible stamp, and answers with the CMS signed attributes
   to sign (`prepared`).
3. The agent signs those bytes with the citizen's token or a remote signing service and posts
   the raw signature; the portal embeds it, validates the result like any signature, and records
   it as that declaration records any signature (`done`), or says why not (`failed`).

Each step (`open_session`, `prepare`, `complete`) is one transaction (commits); `find` changes
nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import ExternalSigner
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko_certvalidator.registry import SimpleCertificateStore
from sqlalchemy import select

from app import clock
from app.dossiers.models import Dossier
from app.extensions import db
from app.signing import declarations, get_signing, pades
from app.signing import services as signing
from app.signing.declarations import DeclarationToSign
from app.signing.models import ExternalSigningSession
from app.signing.providers import SigningRefused
from app.signing.validation import Verdict
from app.storage import get_blobs

SIGNING_KEYS = {"rsa", "ec"}  # what PAdES signers and the portal's validation agree on


class SessionProblem(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Opened:
    session: ExternalSigningSession
    token: str  # given once to the applicant, for the agent


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(target: DeclarationToSign) -> Opened:
    target.ensure_signable()
    token = secrets.token_urlsafe(32)
    ttl = current_app.config["OPENDVC"].EXTERNAL_SIGNING_TTL_MINUTES
    session = ExternalSigningSession(
        token_hash=_hash(token),
        dossier_id=target.dossier.id,
        **target.session_link(),
        expires_at=clock.now() + timedelta(minutes=ttl),
        declaration_sha256=hashlib.sha256(target.declaration().pdf).hexdigest(),
    )
    db.session.add(session)
    db.session.commit()
    return Opened(session, token)


def find(token: str, *, state: str) -> ExternalSigningSession:
    session = db.session.scalar(
        select(ExternalSigningSession).where(ExternalSigningSession.token_hash == _hash(token))
    )
    if session is None:
        raise SessionProblem("no such signing session", 404)
    if session.expires_at < clock.now():
        raise SessionProblem("this signing session has expired", 410)
    if session.state != state:
        raise SessionProblem(f"this signing session is {session.state}, not {state}", 409)
    return session


def _target(session: ExternalSigningSession) -> DeclarationToSign:
    """The declaration the session points at, if it can still be signed."""
    dossier = db.session.get(Dossier, session.dossier_id)
    target = declarations.of_session(dossier, session) if dossier is not None else None
    if target is None:
        raise SessionProblem("no such signing session", 404)
    try:
        target.ensure_signable()
    except SigningRefused as refusal:
        raise SessionProblem(str(refusal.message), 409) from None
    return target


def _signer(cert: asn1_x509.Certificate, chain: list[asn1_x509.Certificate], value: bytes) -> ExternalSigner:
    return ExternalSigner(
        signing_cert=cert, cert_registry=SimpleCertificateStore.from_certs(chain), signature_value=value
    )


def prepare(token: str, *, certificate: bytes, chain: list[bytes]) -> dict[str, str]:
    """Prepare the declaration for this certificate; return what the agent must sign."""
    session = find(token, state="open")
    target = _target(session)
    declaration = target.declaration()
    if hashlib.sha256(declaration.pdf).hexdigest() != session.declaration_sha256:
        raise SessionProblem("the declaration changed since signing was requested", 409)
    try:
        cert = asn1_x509.Certificate.load(certificate)
        others = [asn1_x509.Certificate.load(c) for c in chain]
        for parsed in (cert, *others):
            parsed.native  # noqa: B018 (parses it all now: a bad certificate fails here)
    except ValueError:
        raise SessionProblem("certificate and chain must be DER X.509 certificates", 400) from None
    if cert.public_key.algorithm not in SIGNING_KEYS:
        raise SessionProblem(f"the certificate's key must be one of {sorted(SIGNING_KEYS)}", 400)
    key_bits = cert.public_key.bit_size
    placeholder = _signer(cert, others, bytes(max(256, (key_bits + 7) // 8)))
    level = (
        get_signing().level if get_signing().level in (pades.Level.B_B, pades.Level.B_T) else pades.Level.B_T
    )
    meta = signers.PdfSignatureMetadata(
        field_name=target.field_name,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=target.reason,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=placeholder,
        stamp_style=pades.stamp_style(str(cert.subject.native.get("common_name", ""))),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=target.field_name, on_page=-1, box=declaration.signature_box
        ),
    )

    async def run() -> tuple[PreparedByteRangeDigest, bytes, cms.CMSAttributes]:
        writer = IncrementalPdfFileWriter(BytesIO(declaration.pdf), strict=False)
        digest, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
            writer, bytes_reserved=pades.RESERVED[level.value], appearance_text_params=pades.stamp_params()
        )
        attrs = await placeholder.signed_attrs(digest.document_digest, "sha256", use_pades=True)
        output.seek(0)
        return digest, output.read(), attrs

    try:
        digest, prepared, attrs = asyncio.run(run())
    except (ValueError, TypeError, KeyError):  # a certificate pyHanko cannot sign for
        raise SessionProblem("a signature cannot be prepared for this certificate", 400) from None
    session.prepared_sha256 = get_blobs().put(prepared)
    session.document_digest = digest.document_digest.hex()
    session.reserved_start, session.reserved_end = digest.reserved_region_start, digest.reserved_region_end
    session.signing_cert = base64.b64encode(certificate).decode()
    session.chain = [base64.b64encode(c).decode() for c in chain]
    session.signed_attrs = base64.b64encode(attrs.dump()).decode()
    session.state = "prepared"
    db.session.commit()
    return {
        "to_sign": session.signed_attrs,
        "digest_algorithm": "sha256",
        "signature_algorithm": placeholder.get_signature_mechanism_for_digest("sha256").signature_algo,
        "expires_at": session.expires_at.isoformat(),
    }


def complete(token: str, *, signature: bytes) -> Verdict:
    """Embed the agent's raw signature, validate the signed declaration, record it."""
    session = find(token, state="prepared")
    target = _target(session)
    # prepare() records all of these with the state "prepared".
    pdf_sha256, document_digest = session.prepared_sha256, session.document_digest
    start, end = session.reserved_start, session.reserved_end
    signing_cert, signed_attrs = session.signing_cert, session.signed_attrs
    if (
        pdf_sha256 is None
        or document_digest is None
        or start is None
        or end is None
        or signing_cert is None
        or signed_attrs is None
    ):
        raise SessionProblem("this signing session was not prepared", 409)
    cert = asn1_x509.Certificate.load(base64.b64decode(signing_cert))
    chain = [asn1_x509.Certificate.load(base64.b64decode(c)) for c in session.chain or []]
    attrs = cms.CMSAttributes.load(base64.b64decode(signed_attrs))
    digest = PreparedByteRangeDigest(bytes.fromhex(document_digest), start, end)
    signer = _signer(cert, chain, signature)
    timestamper = get_signing().timestamper

    async def run() -> bytes:
        signed_cms = await signer.async_sign_prescribed_attributes(
            "sha256", signed_attrs=attrs, timestamper=timestamper
        )
        output = BytesIO(get_blobs().read(pdf_sha256))
        await PdfTBSDocument.async_finish_signing(output, prepared_digest=digest, signature_cms=signed_cms)
        return output.getvalue()

    try:
        signed_pdf = asyncio.run(run())
    except Exception:  # a signature of the wrong size or shape
        session.state = "failed"
        db.session.commit()
        raise SessionProblem("the signature could not be embedded", 422) from None
    session.state = "done"  # committed with the recorded signature: one transaction
    try:
        verdict = signing.accept_signed(target, signed_pdf, method="external")
    except SigningRefused as refusal:  # signed meanwhile another way
        db.session.rollback()
        session.state = "failed"
        db.session.commit()
        raise SessionProblem(str(refusal.message), refusal.status) from None
    if not verdict.ok:  # refused: nothing was recorded
        session.state = "failed"
        db.session.commit()
    return verdict
