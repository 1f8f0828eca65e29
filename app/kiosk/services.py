"""What the kiosk forgets when a person leaves it (start again, or the idle timeout): the
session's dossier secrets, and every draft it held that was never submitted, with its files.
A submitted dossier stays: its owner took the slip with the code and the access code."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from app.dossiers.models import Dossier
from app.dossiers.records import EDITABLE, find_by_public_id, hash_secret
from app.extensions import db
from app.payments.services import charges_of
from app.signing.models import DossierSignature, ExternalSigningSession
from app.storage import release_now


@dataclass(frozen=True)
class Forgotten:
    drafts: int  # unsubmitted drafts deleted
    files: int  # stored files deleted with them


def _blobs_of(dossier: Dossier) -> set[str]:
    found = {a.sha256 for a in dossier.attachments}
    for s in db.session.scalars(select(DossierSignature).where(DossierSignature.dossier_id == dossier.id)):
        found |= {s.declaration_sha256, s.signed_sha256}
    for e in db.session.scalars(
        select(ExternalSigningSession).where(ExternalSigningSession.dossier_id == dossier.id)
    ):
        found |= {e.declaration_sha256} | ({e.prepared_sha256} if e.prepared_sha256 else set())
    return found


def forget(held: Mapping[str, str]) -> Forgotten:
    """Delete the unsubmitted drafts of these secrets (public id -> secret, as a session holds
    them) in one transaction, then their files that no other dossier uses."""
    drafts: list[Dossier] = []
    for public_id, secret in held.items():
        dossier = find_by_public_id(public_id)
        if (
            dossier is not None
            and hmac.compare_digest(dossier.secret_hash, hash_secret(secret))
            and dossier.status in EDITABLE
            and dossier.account_id is None  # claimed into an account meanwhile: its owner's now
            and not charges_of(dossier)  # taken back from paying: its payments' trace is kept
        ):
            drafts.append(dossier)
    blobs: set[str] = set()
    for dossier in drafts:
        blobs |= _blobs_of(dossier)
        db.session.delete(dossier)  # attachments, events, signatures: the database cascades
    db.session.commit()
    # Their files go with them, unless another row (any dossier's, any kind: app/retention's one
    # list) names the same bytes.
    removed = release_now(blobs)
    return Forgotten(len(drafts), removed)
