"""Signing a dossier's declaration. Each public function that changes something is one
transaction (commits): a signature is validated, then recorded with the dossier's new state, or
nothing is kept; the checks and the queries change nothing."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from flask import current_app
from flask_babel import lazy_gettext as _l
from pyhanko.sign import signers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.documents.declaration import FIELD_NAME, Declaration, key_now, rendered
from app.dossiers import records as dossiers
from app.dossiers.models import Dossier
from app.dossiers.needs import submitter_of
from app.dossiers.status import Status
from app.extensions import db
from app.signing import declarations, get_signing, pades
from app.signing.declarations import DeclarationToSign
from app.signing.identity import Applicant, compare
from app.signing.models import DossierSignature, ExternalSigningSession
from app.signing.providers import SigningRefused
from app.signing.validation import Verdict, check_declaration
from app.storage import get_blobs

__all__ = [
    "DossierDeclaration",
    "SigningRefused",
    "accept_signed",
    "applicant_of",
    "check_signed",
    "current_signature",
    "declaration_of",
    "sign_with",
]


def declaration_of(dossier: Dossier) -> Declaration:
    """The declaration of the answers and documents as they are now (rendered once per content)."""
    return rendered(dossier, dossiers.procedure_of(dossier))


def applicant_of(dossier: Dossier) -> Applicant:
    definition = dossiers.procedure_of(dossier).definition
    found = dossiers.applicant_of(definition, dossier.answers)
    submitter = submitter_of(definition, dossier.answers) or {}
    return Applicant(
        name=found["name"],
        identifier=found["identifier"],
        representative_name=found["representative_name"],
        representative_identifier=found["representative_identifier"],
        submitter_name=submitter.get("name"),
        submitter_identifier=submitter.get("identifier"),
    )


def check_signed(signed: bytes, *, declaration: Declaration, applicant: Applicant) -> Verdict:
    """Every rule for a declaration an applicant signed, however it was made: this declaration
    and nothing added but the signature, a trusted applicant's certificate (never the portal's
    seal), shown (if at all) below the declaration's text, and the signer compared with the
    applicant as OPENDVC_SIGNER_MATCH says."""
    signing = get_signing()
    verdict = check_declaration(
        signed,
        declaration=declaration.pdf,
        context=signing.context(),
        not_signers=signing.not_signers,
        signature_area=declaration.signature_area,
    )
    policy = current_app.config["OPENDVC"].SIGNER_MATCH
    if not verdict.ok or policy == "off":
        return verdict
    match = compare(verdict, applicant, policy=policy)
    verdict = replace(verdict, signer_match=match)
    # Under require, a signer who cannot be told to be the applicant is refused too.
    if policy == "require" and match["outcome"] != "match":
        return verdict.refused("signer_mismatch")
    return verdict


def current_signature(dossier: Dossier) -> DossierSignature | None:
    return db.session.scalar(
        select(DossierSignature)
        .where(DossierSignature.dossier_id == dossier.id)
        .order_by(DossierSignature.id.desc())
        .limit(1)
    )


def sign_declaration(
    declaration: Declaration, signer: signers.Signer, *, reason: str, field_name: str = FIELD_NAME
) -> bytes:
    """A declaration (the dossier's, or a supplement's) signed in its box, at the portal's level."""
    signing = get_signing()
    return pades.sign(
        declaration.pdf,
        signer,
        field_name=field_name,
        box=declaration.signature_box,
        level=signing.level,
        reason=reason,
        timestamper=signing.timestamper,
        validation_context=signing.context(),
    )


@declarations.kind("dossier")
class DossierDeclaration(DeclarationToSign):
    """The dossier's declaration (đơn đề nghị), signed before it is submitted."""

    reason = "Ký đơn đề nghị thực hiện thủ tục hành chính"

    def declaration(self) -> Declaration:
        return declaration_of(self.dossier)

    def ensure_signable(self) -> None:
        if Status(self.dossier.status) not in (Status.DRAFT, Status.SIGNED):
            raise SigningRefused(_l("This dossier has been submitted and can no longer be signed"), 409)

    def record(self, *, signed: bytes, declaration: Declaration, verdict: Verdict, method: str) -> None:
        dossier = self.dossier
        db.session.add(
            DossierSignature(
                dossier_id=dossier.id,
                method=method,
                declaration_sha256=hashlib.sha256(declaration.pdf).hexdigest(),
                content_key=declaration.content or None,
                signed_sha256=get_blobs().put(signed),
                signer_name=verdict.signer_name,
                certificate_serial=verdict.serial,
                certificate_issuer=verdict.issuer,
                signing_time=verdict.signing_time,
                level=verdict.level,
                report=verdict.report(),
            )
        )
        if dossier.status == Status.DRAFT:
            dossiers.record(
                dossier, Status.SIGNED, actor="applicant", at=clock.now(), note=verdict.signer_name
            )
        dossiers.commit()

    @classmethod
    def of_session(cls, dossier: Dossier, session: ExternalSigningSession) -> DossierDeclaration:
        return cls(dossier)


SIGNED_MEANWHILE = _l("This declaration has just been signed in another window: reload the page to see it.")


def sign_with(target: DeclarationToSign, signer: signers.Signer, *, method: str) -> Verdict:
    """Sign a declaration with a signer the applicant unlocked, validate, record."""
    target.ensure_signable()
    declaration = target.declaration()
    signed = sign_declaration(declaration, signer, reason=target.reason, field_name=target.field_name)
    return accept_signed(target, signed, method=method, declaration=declaration)


def accept_signed(
    target: DeclarationToSign, signed: bytes, *, method: str, declaration: Declaration | None = None
) -> Verdict:
    """Validate a signed declaration, however it was made; keep it only if it passes."""
    target.ensure_signable()
    declaration = declaration or target.declaration()
    verdict = check_signed(signed, declaration=declaration, applicant=applicant_of(target.dossier))
    if not verdict.ok:
        return verdict
    try:
        target.record(signed=signed, declaration=declaration, verdict=verdict, method=method)
    except (dossiers.DossierChanged, IntegrityError, StaleDataError):
        # Signed at the same moment in another window: the first one holds, nothing is half-kept.
        db.session.rollback()
        raise SigningRefused(SIGNED_MEANWHILE, 409) from None
    return verdict


def signature_covers(dossier: Dossier) -> bool:
    """The latest signature was made on the declaration as it reads now. The declaration is a
    function of its content key (declaration.content_key), which the signature keeps: the same
    key, the same bytes, so no render is needed. A different key may still render the same
    bytes (an answer the declaration does not show): then the bytes decide."""
    found = current_signature(dossier)
    if found is None:
        return False
    if found.content_key is not None and found.content_key == key_now(
        dossier, dossiers.procedure_of(dossier)
    ):
        return True
    return found.declaration_sha256 == hashlib.sha256(declaration_of(dossier).pdf).hexdigest()


def signing_required() -> bool:
    return current_app.config["OPENDVC"].SIGNING_REQUIRED
