"""The sealed receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả), made once per dossier when the
agency accepts it (status 2) and kept in the blob store. Runs in the caller's transaction, never
commits: the acceptance keeps it, or keeps nothing."""

from __future__ import annotations

from app.documents import receipt
from app.dossiers import records as dossiers
from app.dossiers.models import Dossier
from app.signing import get_signing, pades
from app.signing.providers import SealProvider
from app.signing.services import current_signature
from app.storage import get_blobs


def issue(dossier: Dossier, *, tracking_url: str) -> str:
    """Render and seal the receipt of an accepted dossier (its promised date set), store it,
    and note its sha256 on the dossier. Raises whatever sealing raises (a seal key that fails,
    an unreachable timestamp authority)."""
    signed = current_signature(dossier) is not None
    pdf, box = receipt.render(dossier, dossiers.procedure_of(dossier), tracking_url, signed=signed)
    pdf = seal(pdf, field_name=receipt.SEAL_FIELD, box=box, reason="Xác nhận tiếp nhận hồ sơ")
    dossier.receipt_sha256 = get_blobs().put(pdf)
    return dossier.receipt_sha256


def seal(pdf: bytes, *, field_name: str, box: tuple[int, int, int, int], reason: str) -> bytes:
    """A document the portal issues, sealed with its seal at the signing level configured (its
    timestamp included); as it is when no seal is configured. Raises whatever sealing raises."""
    signing = get_signing()
    provider = signing.provider("seal")
    if not (isinstance(provider, SealProvider) and provider.configured):
        return pdf
    return pades.sign(
        pdf,
        provider.signer(),
        field_name=field_name,
        box=box,
        level=signing.level,
        reason=reason,
        timestamper=signing.timestamper,
        validation_context=signing.context(),
    )
