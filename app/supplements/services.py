"""Supplements: opened by a status 5 event (app/supplements/records.py), filled and signed by the
applicant, then queued for the back office in the same transaction as the signature. Each
public function that changes something is one transaction (commits); the queries change nothing."""

from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import clock
from app.attachments.names import clean_filename
from app.attachments.services import UploadRefused, keep
from app.catalog.schema import Component
from app.documents.declaration import Declaration
from app.dossiers import records as dossiers
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.extensions import db
from app.outbox.queue import enqueue_supplement
from app.signing import declarations
from app.signing.declarations import DeclarationToSign
from app.signing.models import ExternalSigningSession
from app.signing.providers import SigningRefused
from app.signing.validation import Verdict
from app.storage import BlobWriter, get_blobs
from app.supplements import declaration as supplement_declaration
from app.supplements.models import Supplement, SupplementFile

MAX_FILES = 20
# app.extensions key: what the layers above do with a supplement the applicant has just sent,
# called with (dossier, supplement) in its transaction, before the commit (app.store keeps its
# files in the account's store). The supplements sit below them and cannot call them directly.
SUPPLEMENT_SENT = "opendvc.supplement_sent"


def open_for(dossier: Dossier) -> Supplement | None:
    """The request the applicant can answer now, if any."""
    if Status(dossier.status) != Status.SUPPLEMENT_REQUESTED:
        return None
    return db.session.scalar(
        select(Supplement)
        .where(Supplement.dossier_id == dossier.id, Supplement.state == "open")
        .order_by(Supplement.number.desc())
        .limit(1)
    )


def of(dossier: Dossier) -> list[Supplement]:
    return list(
        db.session.scalars(
            select(Supplement).where(Supplement.dossier_id == dossier.id).order_by(Supplement.number)
        )
    )


def add_file(
    supplement: Supplement, component: Component, writer: BlobWriter, filename: str | None
) -> SupplementFile:
    """Check one upload like the dossier's own (the same checks, PDFs included); keep it (one
    transaction) or refuse it leaving nothing behind."""
    if supplement.state != "open":
        writer.discard()
        raise UploadRefused(_l("This supplement has been sent already"), 409)
    kept = keep(
        writer,
        component,
        files_before=len(supplement.files),
        max_files=MAX_FILES,
        too_many=_l("A supplement holds at most %(num)d files", num=MAX_FILES),
        bytes_before=sum(f.size for f in supplement.files),
    )
    added = SupplementFile(
        component_code=component.code,
        filename=clean_filename(filename),
        media_type=kept.media_type,
        size=writer.size,
        sha256=kept.sha256,
    )
    supplement.files.append(added)
    db.session.commit()
    return added


def remove_file(supplement: Supplement, file_id: int) -> SupplementFile | None:
    found = next((f for f in supplement.files if f.id == file_id), None)
    if found is None:
        return None
    if supplement.state != "open":
        raise UploadRefused(_l("This supplement has been sent already"), 409)
    supplement.files.remove(found)
    db.session.commit()
    return found


def declaration_of(dossier: Dossier, supplement: Supplement) -> Declaration:
    return supplement_declaration.render(dossier, supplement, dossiers.procedure_of(dossier))


@declarations.kind("supplement")
class SupplementDeclaration(DeclarationToSign):
    """A supplement's declaration: signing it sends the supplement. An accepted signature is
    recorded and the supplement package queued in one transaction; otherwise nothing changes."""

    reason = "Ký đơn bổ sung hồ sơ"

    def __init__(self, dossier: Dossier, supplement: Supplement) -> None:
        super().__init__(dossier)
        self.supplement = supplement

    def declaration(self) -> Declaration:
        return declaration_of(self.dossier, self.supplement)

    def ensure_signable(self) -> None:
        if self.supplement.state != "open":
            raise SigningRefused(_l("This supplement has been sent already"), 409)
        if not self.supplement.files:
            raise SigningRefused(_l("Attach at least one document before signing"), 400)

    def record(self, *, signed: bytes, declaration: Declaration, verdict: Verdict, method: str) -> None:
        dossier, supplement = self.dossier, self.supplement
        supplement.declaration_sha256 = hashlib.sha256(declaration.pdf).hexdigest()
        supplement.signed_sha256 = get_blobs().put(signed)
        supplement.signer_name = verdict.signer_name
        supplement.certificate_serial = verdict.serial
        supplement.signing_time = verdict.signing_time
        supplement.level = verdict.level
        supplement.report = verdict.report()
        supplement.submitted_at = clock.now()
        supplement.state = "submitted"
        enqueue_supplement(dossier, supplement_id=supplement.id, number=supplement.number)
        for then in current_app.extensions.get(SUPPLEMENT_SENT, ()):  # e.g. the account's store
            then(dossier, supplement)
        db.session.commit()

    def session_link(self) -> dict[str, object]:
        return {**super().session_link(), "supplement_id": self.supplement.id}

    @classmethod
    def of_session(cls, dossier: Dossier, session: ExternalSigningSession) -> SupplementDeclaration | None:
        supplement = db.session.get(Supplement, session.supplement_id) if session.supplement_id else None
        if supplement is None or supplement.dossier_id != dossier.id:
            return None
        return cls(dossier, supplement)
