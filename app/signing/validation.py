"""Validating PDF signatures with pyHanko, and saying why one is refused.

A signature passes only if it is intact, valid, trusted (bottom line), covers the whole
document, and the document was changed afterwards at most by timestamps and validation data.
`valid` alone is never enough: a flipped byte can leave it True while `intact` is False.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, fields
from datetime import datetime
from io import BytesIO
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

REASONS = {
    "not_signed": _l("The document carries no signature."),
    "changed": _l("The document was changed after it was signed."),
    "wrong_document": _l("This is not the declaration of this dossier."),
    "untrusted": _l("The certificate was not issued by a trusted certification authority."),
    "expired": _l("The certificate had expired, or was not yet valid, when the document was signed."),
    "revoked": _l("The certificate has been revoked."),
    "invalid": _l("The signature is not valid."),
    "unreadable": _l("The file is not a PDF that can be read."),
}
ALLOWED_LATER_CHANGES = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
_EXPIRED = {
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.NOT_YET_VALID,
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
}
_REVOKED = {AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}


@dataclass(frozen=True)
class Verdict:
    """What the portal concluded about one signature, and what it recorded about the signer."""

    field: str
    ok: bool
    problem: str | None
    signer_name: str | None
    serial: str | None
    issuer: str | None
    signing_time: datetime | None
    timestamp_time: datetime | None
    level: str
    intact: bool
    valid: bool
    trusted: bool
    coverage: str | None
    modification_level: str | None

    @property
    def reason(self) -> str:
        return str(REASONS[self.problem]) if self.problem else ""

    def report(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict() would deep-copy
        for key in ("signing_time", "timestamp_time"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def _problem(status: PdfSignatureStatus) -> str | None:
    if not status.intact:
        return "changed"
    if not status.valid:
        return "invalid"
    if not (
        status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        or (
            status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
            and status.modification_level in ALLOWED_LATER_CHANGES
        )
    ):
        return "changed"
    if status.modification_level not in ALLOWED_LATER_CHANGES:
        return "changed"
    if not status.trusted:
        indic = status.trust_problem_indic
        if status.revoked or indic in _REVOKED:
            return "revoked"
        if indic in _EXPIRED:
            return "expired"
        return "untrusted"
    if not status.bottom_line:
        return "invalid"
    return None


def _level(status: PdfSignatureStatus, reader: PdfFileReader) -> str:
    if status.timestamp_validity is None:
        return "B-B"
    if "/DSS" not in reader.root:
        return "B-T"
    has_doc_ts = any(s.sig_object.get("/Type") == "/DocTimeStamp" for s in reader.embedded_signatures)
    return "B-LTA" if has_doc_ts else "B-LT"


def _verdict(field: str, status: PdfSignatureStatus, reader: PdfFileReader) -> Verdict:
    cert = status.signing_cert
    problem = _problem(status)
    return Verdict(
        field=field,
        ok=problem is None,
        problem=problem,
        signer_name=cert.subject.native.get("common_name"),
        serial=format(cert.serial_number, "x"),
        issuer=cert.issuer.human_friendly,
        signing_time=status.signer_reported_dt,
        timestamp_time=status.timestamp_validity.timestamp if status.timestamp_validity else None,
        level=_level(status, reader),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        coverage=status.coverage.name if status.coverage else None,
        modification_level=status.modification_level.name if status.modification_level else None,
    )


def _failed(field: str, problem: str) -> Verdict:
    return Verdict(field, False, problem, None, None, None, None, None, "", False, False, False, None, None)


async def async_validate(pdf: bytes | BinaryIO, context: ValidationContext) -> list[Verdict]:
    """Every signature in the file (bytes, or an open file for large attachments)."""
    try:
        reader = PdfFileReader(BytesIO(pdf) if isinstance(pdf, bytes) else pdf, strict=False)
        signatures = [s for s in reader.embedded_signatures if s.sig_object.get("/Type") != "/DocTimeStamp"]
    except Exception:  # a damaged file is a refusal, not a crash
        return [_failed("", "unreadable")]
    if not signatures:
        return [_failed("", "not_signed")]
    verdicts = []
    for embedded in signatures:
        try:
            status = await async_validate_pdf_signature(embedded, signer_validation_context=context)
        except Exception:
            verdicts.append(_failed(embedded.field_name, "invalid"))
            continue
        verdicts.append(_verdict(embedded.field_name, status, reader))
    return verdicts


def validate(pdf: bytes | BinaryIO, context: ValidationContext) -> list[Verdict]:
    return asyncio.run(async_validate(pdf, context))


def check_declaration(
    signed: bytes, *, declaration: bytes, field_name: str, context: ValidationContext
) -> Verdict:
    """The applicant's signature on exactly this declaration: the signed file must begin with
    the declaration's bytes (a signature is an incremental update) and sign it whole."""
    if hashlib.sha256(signed[: len(declaration)]).digest() != hashlib.sha256(declaration).digest():
        return _failed(field_name, "wrong_document")
    verdicts = validate(signed, context)
    found = [v for v in verdicts if v.field == field_name] or verdicts
    return found[0]
