"""Signing a dossier's declaration: each state change is one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from flask import current_app
from sqlalchemy import select

from app.documents.declaration import FIELD_NAME, Declaration, render
from app.dossiers import calendar
from app.dossiers import services as dossiers
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.extensions import db
from app.signing import get_signing, pades
from app.signing.identity import Applicant, compare
from app.signing.models import DossierSignature
from app.signing.providers import SigningRefused
from app.signing.validation import Verdict, check_declaration
from app.storage import get_blobs

__all__ = [
    "SigningRefused",
    "accept_signed",
    "applicant_of",
    "check_signed",
    "current_signature",
    "declaration_of",
    "sign_with",
]


def declaration_of(dossier: Dossier) -> Declaration:
    return render(dossier, dossiers.procedure_of(dossier))


def applicant_of(dossier: Dossier) -> Applicant:
    found = dossiers.applicant_of(dossiers.procedure_of(dossier).definition, dossier.answers)
    return Applicant(
        name=found["name"],
        identifier=found["identifier"],
        representative_name=found["representative_name"],
        representative_identifier=found["representative_identifier"],
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
        signature_top=declaration.signature_box[3],
    )
    policy = current_app.config["OPENDVC"].SIGNER_MATCH
    if not verdict.ok or policy == "off":
        return verdict
    verdict = replace(verdict, signer_match=compare(verdict, applicant, policy=policy))
    if policy == "require" and verdict.signer_match["outcome"] == "mismatch":
        return verdict.refused("signer_mismatch")
    return verdict


def current_signature(dossier: Dossier) -> DossierSignature | None:
    return db.session.scalar(
        select(DossierSignature)
        .where(DossierSignature.dossier_id == dossier.id)
        .order_by(DossierSignature.id.desc())
        .limit(1)
    )


def sign_declaration(declaration: Declaration, signer: object, *, reason: str) -> bytes:
    """A declaration (the dossier's, or a supplement's) signed in its box, at the portal's level."""
    signing = get_signing()
    return pades.sign(
        declaration.pdf,
        signer,  # type: ignore[arg-type]
        field_name=FIELD_NAME,
        box=declaration.signature_box,
        level=signing.level,
        reason=reason,
        timestamper=signing.timestamper,
        validation_context=signing.context(),
    )


def sign_with(dossier: Dossier, signer: object, *, method: str) -> Verdict:
    """Sign the declaration with a signer the applicant unlocked, validate, record."""
    declaration = declaration_of(dossier)
    signed = sign_declaration(declaration, signer, reason="Ký đơn đề nghị thực hiện thủ tục hành chính")
    return accept_signed(dossier, signed, method=method, declaration=declaration)


def accept_signed(
    dossier: Dossier, signed: bytes, *, method: str, declaration: Declaration | None = None
) -> Verdict:
    """Validate a signed declaration, however it was made; keep it only if it passes."""
    if Status(dossier.status) not in (Status.DRAFT, Status.SIGNED):
        raise SigningRefused("this dossier can no longer be signed", 409)
    declaration = declaration or declaration_of(dossier)
    verdict = check_signed(signed, declaration=declaration, applicant=applicant_of(dossier))
    if not verdict.ok:
        return verdict
    sha256 = get_blobs().put(signed)
    db.session.add(
        DossierSignature(
            dossier_id=dossier.id,
            method=method,
            declaration_sha256=hashlib.sha256(declaration.pdf).hexdigest(),
            signed_sha256=sha256,
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
            dossier, Status.SIGNED, actor="applicant", at=calendar.now(), note=verdict.signer_name
        )
    dossiers.commit()
    return verdict


def signature_covers(dossier: Dossier) -> bool:
    """The latest signature was made on the declaration as it reads now."""
    found = current_signature(dossier)
    current = hashlib.sha256(declaration_of(dossier).pdf).hexdigest()
    return found is not None and found.declaration_sha256 == current


def signing_required() -> bool:
    return current_app.config["OPENDVC"].SIGNING_REQUIRED
