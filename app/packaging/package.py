"""The dossier package: what a back office receives.

    manifest.json          the dossier as data (see docs/package-format.md)
    manifest.xml           the same essentials, sealed by the portal (XAdES-BES)
    don-de-nghi-da-ky.pdf  the declaration signed by the applicant
    tai-lieu/NN-<component>-<file name>   the attachments
    bien-lai/<receipt number>.pdf          the sealed receipt of each paid payment

Deterministic: entries sorted, fixed timestamps and permissions, no generation time inside,
so the same dossier always gives the same bytes. Attachments are streamed from the blob store.
Built from plain inputs (app/packaging/inputs.py): no database, no application context.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any, BinaryIO

from app import clock
from app.packaging import manifest
from app.packaging.inputs import (
    Applicant,
    BlobOpener,
    CaseFacts,
    DeclarationFacts,
    Fee,
    PackageFile,
    PackageInputs,
    PaymentFacts,
    Person,
)
from app.signing.keys import LoadedKeySigner

EPOCH = (1980, 1, 1, 0, 0, 0)
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Entry:
    name: str
    data: bytes | None = None  # made by the portal
    blob: str | None = None  # sha256 of a file in the blob store
    deflate: bool = True  # False for content compressed already (PDF, images, office files)


def worth_deflating(media_type: str) -> bool:
    """Scans, PDFs and office files are compressed already: deflating them again costs 60 times
    a plain copy (bench/delivery.py) for nothing. Text is worth it."""
    return media_type.startswith("text/") or media_type in {"application/json", "application/xml"}


@dataclass(frozen=True)
class DossierPackage:
    code: str  # the idempotency key: the dossier code, or `<dossier code>-BS<n>` for a supplement
    entries: tuple[Entry, ...]
    open_blob: BlobOpener
    manifest: dict[str, Any]  # what manifest.json holds, for adapters that speak another dialect
    # or "supplement" (`code` is then `<dossier code>-BS<n>`), or "withdrawal" (`<code>-RUT`),
    # or "rating" (`<code>-DG<n>`), or "payment" (`<code>-TT<n>`)
    kind: str = "submission"

    def write_zip(self, out: BinaryIO) -> None:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for entry in sorted(self.entries, key=lambda e: e.name):
                info = zipfile.ZipInfo(entry.name, date_time=EPOCH)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED if entry.deflate else zipfile.ZIP_STORED
                with archive.open(info, "w", force_zip64=True) as target:
                    if entry.data is not None:
                        target.write(entry.data)
                    elif entry.blob is not None:
                        with self.open_blob(entry.blob) as source:
                            while chunk := source.read(CHUNK):
                                target.write(chunk)
                    else:
                        raise ValueError(f"package entry {entry.name} has neither data nor a blob")

    def zip_bytes(self) -> bytes:
        out = io.BytesIO()
        self.write_zip(out)
        return out.getvalue()


def manifest_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8") + b"\n"


def _file_entries(files: tuple[PackageFile, ...], names: Any) -> tuple[list[Entry], list[dict[str, Any]]]:
    entries, listed = [], []
    for number, a in enumerate(files, 1):
        path = f"tai-lieu/{number:02d}-{a.component_code}-{a.filename}"
        entries.append(Entry(path, blob=a.sha256, deflate=worth_deflating(a.media_type)))
        listed.append(
            {
                "component": a.component_code,
                "component_name": names.get(a.component_code, ""),
                "file_name": a.filename,
                "path": path,
                "size": a.size,
                "media_type": a.media_type,
                "sha256": a.sha256,
                "signatures": list(a.signatures),
            }
            | ({"entry": a.entry, "entry_label": a.entry_label} if a.entry is not None else {})
        )
    return entries, listed


def _declaration(found: DeclarationFacts | None) -> dict[str, Any] | None:
    if found is None:
        return None
    listed: dict[str, Any] = {
        "path": found.path,
        "sha256": found.sha256,
        "unsigned_sha256": found.unsigned_sha256,
        "signer_name": found.signer_name,
        "certificate_serial": found.certificate_serial,
        "signing_time": found.signing_time.isoformat() if found.signing_time else None,
        "level": found.level,
        "signer_match": found.signer_match,
    }
    if found.names_issuer:
        listed["certificate_issuer"] = found.certificate_issuer
    return listed


def _fee(fee: Fee) -> dict[str, Any]:
    return {
        "code": fee.code,
        "kind": fee.kind,
        "name": fee.name,
        "amount": fee.amount,
        "basis": fee.basis,
        "quantity": fee.quantity,
        "unit": fee.unit,
        "note": fee.note,
    }


def _payment(paid: PaymentFacts) -> dict[str, Any]:
    return {
        "charge": paid.charge,
        "origin": paid.origin,
        "event_id": paid.event_id,
        "items": [{"code": i.code, "kind": i.kind, "name": i.name, "amount": i.amount} for i in paid.items],
        "amount": paid.amount,
        "provider": paid.provider,
        "transaction": paid.transaction,
        "reference": paid.reference,
        "paid_at": _vietnam_time(paid.paid_at),
        "receipt": {
            "number": paid.receipt_number,
            "path": paid.receipt_path,
            "media_type": "application/pdf",
            "size": paid.receipt_size,
            "sha256": paid.receipt_sha256,
        },
    }


def _case(case: CaseFacts | None) -> dict[str, Any] | None:
    if case is None:
        return None
    return {
        "code": case.code,
        "name": case.name,
        "processing_days": case.processing_days,
        "processing_unit": case.processing_unit,
    }


def _person(person: Person) -> dict[str, Any]:
    return {
        "name": person.name,
        "identifier": person.identifier,
        "phone": person.phone,
        "address": person.address,
    }


def _applicant(applicant: Applicant) -> dict[str, Any]:
    return {
        "name": applicant.name,
        "identifier": applicant.identifier,
        "email": applicant.email,
        "phone": applicant.phone,
        "kind": applicant.kind,
        "submitter": _person(applicant.submitter) if applicant.submitter else None,
        "co_applicants": [_person(p) for p in applicant.co_applicants],
    }


def _vietnam_time(moment: Any) -> str | None:
    return moment.astimezone(clock.VIETNAM).isoformat() if moment else None


def build(
    inputs: PackageInputs, *, open_blob: BlobOpener, seal: LoadedKeySigner | None = None
) -> DossierPackage:
    """The package of a submitted, signed dossier, of one of its supplements (its files and
    its signed supplement declaration, keyed `<code>-BS<n>`), or of the applicant's request to
    withdraw it (no files, keyed `<code>-RUT`), or of the applicant's n-th rating of the service
    (no files, keyed `<code>-DG<n>`), or of the payment of its n-th charge (no files, keyed
    `<code>-TT<n>`). Every kind lists the dossier's paid payments with their receipts. Sealed
    when `seal` is given."""
    p = inputs.procedure
    entries, files = _file_entries(inputs.files, p.component_names)
    declaration = _declaration(inputs.declaration)
    if declaration is not None:
        entries.append(Entry(declaration["path"], blob=declaration["sha256"], deflate=False))
    for paid in inputs.payments:
        entries.append(Entry(paid.receipt_path, blob=paid.receipt_sha256, deflate=False))
    data: dict[str, Any] = {
        "format": "opendvc-dossier-package/1",
        "kind": inputs.kind,
        "dossier_code": inputs.dossier_code,
        "procedure": {
            "code": p.code,
            "name": p.name,
            "version": p.version,
            "agency_code": p.agency_code,
            "agency_name": p.agency_name,
            "field": {"code": p.field_code, "name": p.field_name},
            "fees": [_fee(fee) for fee in p.fees],
            "case": _case(p.case),
        },
        "applicant": _applicant(inputs.applicant),
        "answers": inputs.answers,
        "submitted_at": _vietnam_time(inputs.submitted_at),
        "received_at": _vietnam_time(inputs.received_at),
        "due_on": inputs.due_on.isoformat() if inputs.due_on else None,
        "declaration": declaration,
        "files": files,
    }
    if inputs.payments:  # only when something was paid: a package made before reads the same
        data["payments"] = [_payment(paid) for paid in inputs.payments]
    if inputs.payment is not None:
        # The back office is told that its n-th charge is paid: which one (its receipt is listed
        # in `payments` with the others).
        data["payment"] = _payment(inputs.payment)
    if inputs.withdrawal is not None:
        # The applicant asks to withdraw (trạng thái 7): no files, the request and its reason.
        data["status"] = 7
        data["requested_at"] = _vietnam_time(inputs.withdrawal.requested_at)
        data["reason"] = inputs.withdrawal.reason
    if inputs.rating is not None:
        # The applicant's satisfaction (đánh giá mức độ hài lòng), 1 to 5: no files.
        data["rating"] = {
            "number": inputs.rating.number,
            "score": inputs.rating.score,
            "channel": inputs.rating.channel,
            "rated_at": _vietnam_time(inputs.rating.rated_at),
        }
    if inputs.kind == "submission":
        data["documents"] = [
            {"code": d.code, "name": d.name, "required": d.required}
            | ({"entry": d.entry, "entry_label": d.entry_label} if d.entry is not None else {})
            for d in inputs.documents
        ]
    if inputs.supplement is not None:
        data["supplement"] = {
            "number": inputs.supplement.number,
            "requested_note": inputs.supplement.requested_note,
            "requested_at": _vietnam_time(inputs.supplement.requested_at),
            "submitted_at": _vietnam_time(inputs.supplement.submitted_at),
        }
    as_json = manifest_json(data)
    entries.append(Entry("manifest.json", data=as_json))
    xml = manifest.build(
        inputs,
        manifest_json_sha256=hashlib.sha256(as_json).hexdigest(),
        signature_sha256=declaration["sha256"] if declaration else None,
    )
    if seal is not None:
        xml = manifest.seal(xml, seal, moment=inputs.sealed_at, package_key=inputs.key)
    entries.append(Entry("manifest.xml", data=xml))
    return DossierPackage(inputs.key, tuple(entries), open_blob, data, inputs.kind)
