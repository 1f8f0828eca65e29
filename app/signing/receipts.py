"""The sealed receipt: made once per dossier, right after submission, kept in the blob store."""

from __future__ import annotations

from app.documents import receipt
from app.dossiers import services as dossiers
from app.dossiers.models import Dossier
from app.extensions import db
from app.signing import get_signing, pades
from app.signing.providers import SealProvider
from app.storage import get_blobs


def issue(dossier: Dossier, *, tracking_url: str) -> str:
    """The receipt's sha256, sealing and storing it first if needed (one transaction)."""
    if dossier.receipt_sha256:
        return dossier.receipt_sha256
    pdf, box = receipt.render(dossier, dossiers.procedure_of(dossier), tracking_url)
    signing = get_signing()
    seal = signing.provider("seal")
    if isinstance(seal, SealProvider) and seal.configured:
        pdf = pades.sign(
            pdf,
            seal.signer(),
            field_name=receipt.SEAL_FIELD,
            box=box,
            level=signing.level,
            reason="Xác nhận tiếp nhận hồ sơ",
            timestamper=signing.timestamper,
            validation_context=signing.context(),
        )
    dossier.receipt_sha256 = get_blobs().put(pdf)
    db.session.commit()
    return dossier.receipt_sha256
