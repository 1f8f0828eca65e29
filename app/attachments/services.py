"""Checking and keeping the files an applicant gives for a dossier's components. `store`,
`store_existing` and `remove` are one transaction each (they commit); `keep` and the checks
change no row (`keep` puts an accepted file in the blob store, for the caller's transaction to
refer to)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import magic
from flask import current_app
from flask_babel import lazy_gettext as _l
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy import func, select

from app import scanning
from app.attachments.names import clean_filename
from app.catalog.schema import FILE_KINDS, Component
from app.dossiers.models import Attachment, Dossier
from app.dossiers.records import EDITABLE, DossierChanged, commit, reopen_if_signed
from app.dossiers.status import Status
from app.extensions import db
from app.signing import get_signing
from app.signing.validation import validate
from app.storage import BlobWriter, StorageUnavailable, get_blobs
from app.uploads import MB


class UploadRefused(Exception):
    def __init__(self, message: object, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


def media_type_of(path: str) -> str:
    return magic.from_file(path, mime=True)


def kinds_label(component: Component) -> str:
    return ", ".join(k.upper() for k in component.accepted_types)


def _check_pdf(path: str) -> list[dict] | None:
    """Refuse a broken or encrypted PDF; validate the signatures of a signed one (kept, not
    refused when invalid: the agency decides, the applicant and the agency both see it)."""
    # An open file, not a path: given a path, pypdf reads the whole file into memory.
    with open(path, "rb") as stream:
        _check_pdf_stream(stream)
        stream.seek(0)
        verdicts = validate(stream, get_signing().context(fetch=False))  # an anonymous upload fetches nothing
    found = [
        v.report() | {"reason": v.reason} for v in verdicts if v.problem not in ("not_signed", "unreadable")
    ]
    return found or None


class _ProtectionUnreadable(Exception):
    """The PDF is encrypted with a handler or a version pypdf does not implement."""


def _names_encryption(stream: BinaryIO) -> bool:
    """Whether the file's trailer names an encryption dictionary. pypdf has no public way to say
    that its failure to open a file was its protection; pyHanko's reader reads the trailer
    without touching the protection."""
    try:
        stream.seek(0)
        return "/Encrypt" in PdfFileReader(stream, strict=False).trailer
    except Exception:
        return False


def _check_pdf_stream(stream: BinaryIO) -> None:
    """Whatever parsing a PDF from outside raises is a refusal that says why, never a crash."""
    try:
        try:
            reader = PdfReader(stream, strict=False)
        except Exception as exc:
            if _names_encryption(stream):
                raise _ProtectionUnreadable from exc
            raise
        if reader.is_encrypted:
            raise UploadRefused(_l("The PDF is protected by a password: attach a copy without a password"))
        if len(reader.pages) == 0:
            raise PyPdfError("no pages")
        for page in reader.pages:
            page.get_contents()
    except UploadRefused:
        raise
    except _ProtectionUnreadable:
        raise UploadRefused(
            _l(
                "The PDF is protected in a way that cannot be opened here: "
                "attach a copy without a password or other protection"
            )
        ) from None
    except NotImplementedError:  # pypdf's word for a filter or a feature it does not implement
        raise UploadRefused(
            _l("The PDF uses a feature that cannot be read here: save it again as a standard PDF or scan it")
        ) from None
    except Exception:
        raise UploadRefused(_l("The PDF is damaged and cannot be read: save or scan it again")) from None


def total_size(dossier: Dossier) -> int:
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(Attachment.size), 0)).where(Attachment.dossier_id == dossier.id)
        )
        or 0
    )  # an aggregate always gives a row; coalesce makes it 0 without attachments


@dataclass(frozen=True)
class Kept:
    media_type: str
    sha256: str
    signatures: list[dict] | None  # what was found in a signed PDF


def _scan(writer: BlobWriter) -> None:
    """The configured virus scanner on the whole upload, before anything else reads it."""
    refusal = scanning.refusal_of(writer.path)
    if refusal is not None:
        raise UploadRefused(refusal.message, refusal.status)


def keep(
    writer: BlobWriter,
    component: Component,
    *,
    files_before: int,
    max_files: int,
    too_many: str,
    bytes_before: int,
) -> Kept:
    """The checks every upload passes, in this order; the file is kept in the blob store only if
    all of them do, and a refusal leaves nothing behind. `bytes_before` counts against the
    dossier's budget; `too_many` says why when `files_before` reached `max_files`."""
    try:
        if writer.size == 0:
            raise UploadRefused(_l("The selected file is empty"))
        if writer.over_limit or writer.size > component.max_size_mb * MB:
            raise UploadRefused(
                _l("The file must be smaller than %(num)d MB", num=component.max_size_mb), 413
            )
        if files_before >= max_files:
            raise UploadRefused(too_many)
        budget = current_app.config["OPENDVC"].DOSSIER_MAX_TOTAL_MB
        if bytes_before + writer.size > budget * MB:
            raise UploadRefused(
                _l("All the files of a dossier together must be smaller than %(num)d MB", num=budget), 413
            )
        writer.flush()
        _scan(writer)
        media_type = media_type_of(str(writer.path))
        accepted = {t for kind in component.accepted_types for t in FILE_KINDS[kind]}
        if media_type not in accepted:
            raise UploadRefused(_l("The file must be a %(kinds)s file", kinds=kinds_label(component)), 415)
        signatures = _check_pdf(str(writer.path)) if media_type == "application/pdf" else None
        try:
            sha256 = get_blobs().commit(writer)
        except StorageUnavailable:
            raise UploadRefused(
                _l("The file could not be stored just now. Try again in a few minutes."), 503
            ) from None
    except BaseException:
        writer.discard()
        raise
    return Kept(media_type, sha256, signatures)


def attachment_of(dossier: Dossier, attachment_id: int) -> Attachment | None:
    """One of the dossier's attachments; None for another dossier's or an unknown one."""
    found = db.session.get(Attachment, attachment_id)
    return found if found is not None and found.dossier_id == dossier.id else None


def _open_slot(dossier: Dossier, component: Component, entry: int | None) -> list[Attachment]:
    """The files the slot holds already, once the dossier may still change and `entry` names
    one of its group's entries (or none, for a component not given per entry)."""
    if Status(dossier.status) not in EDITABLE:
        raise UploadRefused(_l("This dossier can no longer be changed"), 409)
    if (component.per_entry_of is None) != (entry is None) or (
        entry is not None and not 0 <= entry < len(dossier.answers.get(component.per_entry_of or "") or [])
    ):
        raise UploadRefused(_l("Choose the entry this document is for"), 400)
    return [a for a in dossier.attachments if a.component_code == component.code and a.entry == entry]


def _too_many(component: Component) -> str:
    return _l("You can attach at most %(num)d files here: remove one first", num=component.max_files)


def _add(dossier: Dossier, attachment: Attachment) -> Attachment:
    reopen_if_signed(dossier)  # bumps the dossier's version: a concurrent upload fails below
    dossier.attachments.append(attachment)
    try:
        commit()
    except DossierChanged:  # another upload or removal won the race: recount, then decide
        raise UploadRefused(_l("This dossier was changed in another window. Try again."), 409) from None
    return attachment


def store(
    dossier: Dossier,
    component: Component,
    writer: BlobWriter,
    filename: str | None,
    *,
    entry: int | None = None,
) -> Attachment:
    """Check one upload; keep it (one transaction) or refuse it leaving nothing behind. `entry`
    is the group entry a document per entry is given for (its position, from 0)."""
    try:
        given = _open_slot(dossier, component, entry)
    except UploadRefused:
        writer.discard()
        raise
    kept = keep(
        writer,
        component,
        files_before=len(given),
        max_files=component.max_files,
        too_many=_too_many(component),
        bytes_before=total_size(dossier),
    )
    attachment = Attachment(
        component_code=component.code,
        entry=entry,
        filename=clean_filename(filename),
        media_type=kept.media_type,
        size=writer.size,
        sha256=kept.sha256,
        signatures=kept.signatures,
    )
    return _add(dossier, attachment)


@dataclass(frozen=True)
class Existing:
    """A file already in the blob store, with what was found when it first arrived (its media
    type sniffed from content, its size, the validation of its signatures): a document of the
    applicant's store (app.store), used again."""

    filename: str
    media_type: str
    size: int
    sha256: str
    signatures: list[dict] | None


def store_existing(
    dossier: Dossier, component: Component, existing: Existing, *, entry: int | None = None
) -> Attachment:
    """Attach a file the blob store holds already (one transaction): the attachment names the
    same blob, nothing is copied. The component's own limits apply as to an upload (its file
    types, its size, its number of files, the dossier's budget); the content was checked (virus
    scan, PDF) when it first arrived."""
    given = _open_slot(dossier, component, entry)
    if existing.size > component.max_size_mb * MB:
        raise UploadRefused(_l("The file must be smaller than %(num)d MB", num=component.max_size_mb), 413)
    if len(given) >= component.max_files:
        raise UploadRefused(_too_many(component))
    budget = current_app.config["OPENDVC"].DOSSIER_MAX_TOTAL_MB
    if total_size(dossier) + existing.size > budget * MB:
        raise UploadRefused(
            _l("All the files of a dossier together must be smaller than %(num)d MB", num=budget), 413
        )
    accepted = {t for kind in component.accepted_types for t in FILE_KINDS[kind]}
    if existing.media_type not in accepted:
        raise UploadRefused(_l("The file must be a %(kinds)s file", kinds=kinds_label(component)), 415)
    if not get_blobs().exists(existing.sha256):
        raise UploadRefused(_l("This document is no longer available: upload the file instead"), 410)
    attachment = Attachment(
        component_code=component.code,
        entry=entry,
        filename=clean_filename(existing.filename),
        media_type=existing.media_type,
        size=existing.size,
        sha256=existing.sha256,
        signatures=existing.signatures,
    )
    return _add(dossier, attachment)


def remove(dossier: Dossier, attachment: Attachment) -> None:
    if Status(dossier.status) not in EDITABLE:
        raise UploadRefused(_l("This dossier can no longer be changed"), 409)
    reopen_if_signed(dossier)
    dossier.attachments.remove(attachment)
    try:
        commit()
    except DossierChanged:
        raise UploadRefused(_l("This dossier was changed in another window. Try again."), 409) from None
