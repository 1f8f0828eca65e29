"""The dossier package: what a back office receives.

    manifest.json          the dossier as data (see docs/package-format.md)
    manifest.xml           the same essentials, sealed by the portal (XAdES-BES)
    don-de-nghi-da-ky.pdf  the declaration signed by the applicant
    tai-lieu/NN-<component>-<file name>   the attachments

Deterministic: entries sorted, fixed timestamps and permissions, no generation time inside,
so the same dossier always gives the same bytes. Attachments are streamed from the blob store.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any, BinaryIO

from app.storage import BlobStore

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
    blobs: BlobStore
    manifest: dict[str, Any]  # what manifest.json holds, for adapters that speak another dialect
    kind: str = "submission"  # or "supplement"; `code` is then `<dossier code>-BS<n>`

    def write_zip(self, out: BinaryIO) -> None:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for entry in sorted(self.entries, key=lambda e: e.name):
                info = zipfile.ZipInfo(entry.name, date_time=EPOCH)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED if entry.deflate else zipfile.ZIP_STORED
                with archive.open(info, "w", force_zip64=True) as target:
                    if entry.data is not None:
                        target.write(entry.data)
                    else:
                        with self.blobs.open(entry.blob) as source:
                            while chunk := source.read(CHUNK):
                                target.write(chunk)

    def zip_bytes(self) -> bytes:
        out = io.BytesIO()
        self.write_zip(out)
        return out.getvalue()


def manifest_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8") + b"\n"


def _file_entries(files: Any, names: dict[str, str]) -> tuple[list[Entry], list[dict[str, Any]]]:
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
                "signatures": getattr(a, "signatures", None) or [],
            }
        )
    return entries, listed


def build(dossier: Any, supplement: Any = None) -> DossierPackage:
    """The package of a submitted, signed dossier; or, given one of its supplements, the package
    of that supplement (its files and its signed supplement declaration), keyed `<code>-BS<n>`."""
    from app.clock import VIETNAM
    from app.dossiers.services import procedure_of
    from app.packaging import manifest
    from app.signing import get_signing
    from app.signing.services import current_signature
    from app.storage import get_blobs

    loaded = procedure_of(dossier)
    d = loaded.definition
    names = {c.code: c.name.vi for c in d.components}
    if supplement is None:
        key, kind, moment = dossier.code, "submission", dossier.received_at or dossier.created_at
        entries, files = _file_entries(dossier.attachments, names)
        signature = current_signature(dossier)
        declaration = (
            None
            if signature is None
            else {
                "path": "don-de-nghi-da-ky.pdf",
                "sha256": signature.signed_sha256,
                "unsigned_sha256": signature.declaration_sha256,
                "signer_name": signature.signer_name,
                "certificate_serial": signature.certificate_serial,
                "certificate_issuer": signature.certificate_issuer,
                "signing_time": signature.signing_time.isoformat() if signature.signing_time else None,
                "level": signature.level,
                # OPENDVC_SIGNER_MATCH's finding, for the official who receives the dossier.
                "signer_match": (signature.report or {}).get("signer_match"),
            }
        )
    else:
        key, kind, moment = f"{dossier.code}-BS{supplement.number}", "supplement", supplement.submitted_at
        entries, files = _file_entries(supplement.files, names)
        declaration = {
            "path": "don-bo-sung-da-ky.pdf",
            "sha256": supplement.signed_sha256,
            "unsigned_sha256": supplement.declaration_sha256,
            "signer_name": supplement.signer_name,
            "certificate_serial": supplement.certificate_serial,
            "signing_time": supplement.signing_time.isoformat() if supplement.signing_time else None,
            "level": supplement.level,
            "signer_match": (supplement.report or {}).get("signer_match"),
        }
    if declaration is not None:
        entries.append(Entry(declaration["path"], blob=declaration["sha256"], deflate=False))
    data = {
        "format": "opendvc-dossier-package/1",
        "kind": kind,
        "dossier_code": dossier.code,
        "procedure": {
            "code": d.code,
            "name": d.name.vi,
            "version": loaded.version,
            "agency_code": d.agency.code,
            "field": {"code": d.field.code, "name": d.field.name.vi},
            "fees": [{"name": fee.name.vi, "amount": fee.amount} for fee in d.fees],
        },
        "applicant": {
            "name": dossier.applicant_name,
            "identifier": dossier.applicant_identifier,
            "email": dossier.applicant_email,
            "phone": dossier.applicant_phone,
        },
        "answers": dossier.answers,
        "received_at": dossier.received_at.astimezone(VIETNAM).isoformat() if dossier.received_at else None,
        "due_on": dossier.due_on.isoformat() if dossier.due_on else None,
        "declaration": declaration,
        "files": files,
    }
    if supplement is not None:
        data["supplement"] = {
            "number": supplement.number,
            "requested_note": supplement.requested_note,
            "requested_at": supplement.requested_at.astimezone(VIETNAM).isoformat(),
            "submitted_at": supplement.submitted_at.astimezone(VIETNAM).isoformat(),
        }
    as_json = manifest_json(data)
    entries.append(Entry("manifest.json", data=as_json))
    xml = manifest.build(
        dossier,
        files=supplement.files if supplement is not None else dossier.attachments,
        manifest_json_sha256=hashlib.sha256(as_json).hexdigest(),
        signature_sha256=declaration["sha256"] if declaration else None,
        supplement=supplement.number if supplement is not None else None,
    )
    seal = get_signing().provider("seal")
    if seal.configured:  # type: ignore[attr-defined]
        xml = manifest.seal(xml, seal.signer(), moment=moment, package_key=key)  # type: ignore[attr-defined]
    entries.append(Entry("manifest.xml", data=xml))
    return DossierPackage(key, tuple(entries), get_blobs(), data, kind)
