"""Validating PDF signatures with pyHanko, and saying why one is refused.

A signature passes only if it is intact, valid, trusted (bottom line), covers the whole
document, and the document was changed afterwards at most by timestamps and validation data.
`valid` alone is never enough: a flipped byte can leave it True while `intact` is False.

A declaration signed outside the portal is held to more: between the portal's declaration and
the applicant's signature the only change allowed is what a signing application writes to sign
(the signature field, its widget and appearance, or an empty signature field being filled).
pyHanko's difference analysis decides that, with a policy stricter than its default one.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from io import BytesIO
from typing import Any, BinaryIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from flask_babel import lazy_gettext as _l
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import (
    CatalogModificationRule,
    DocInfoRule,
    DSSCompareRule,
    FormUpdatingRule,
    MetadataUpdateRule,
    ModificationLevel,
    ObjectStreamRule,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
    SuspiciousModification,
    XrefStreamRule,
)
from pyhanko.sign.diff_analysis.commons import assert_not_stream, safe_whitelist
from pyhanko.sign.diff_analysis.form_rules_api import FieldComparisonContext, FieldComparisonSpec, FormUpdate
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import EmbeddedPdfSignature, async_validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

REASONS = {
    "not_signed": _l("The document carries no signature."),
    "changed": _l("The document was changed after it was signed."),
    "wrong_document": _l("This is not the declaration of this dossier."),
    "untrusted": _l("The certificate was not issued by a trusted certification authority."),
    "expired": _l("The certificate had expired when the document was signed."),
    "not_yet_valid": _l("The certificate was not yet valid when the document was signed."),
    "revoked": _l("The certificate has been revoked."),
    "key_usage": _l(
        "The certificate is not meant for signing documents: its key usage allows neither digital "
        "signature nor non-repudiation."
    ),
    "weak_algorithm": _l("The signature uses a digest algorithm that is no longer safe, such as SHA-1."),
    "ca_certificate": _l(
        "The certificate belongs to a certification authority: it cannot sign as a person or an organisation."
    ),
    "portal_seal": _l("The portal's own seal cannot sign in an applicant's name."),
    "not_allowed_signer": _l("This certificate is not one of those allowed to sign the agency's results."),
    "signer_mismatch": _l("The certificate does not belong to the applicant named in the form."),
    "misplaced": _l(
        "The signature is shown over the declaration's text. Sign invisibly, or place the visible "
        "signature in the space under “NGƯỜI ĐỀ NGHỊ (ký số)” on the last page."
    ),
    "invalid": _l("The signature is not valid."),
    "unreadable": _l("The file is not a PDF that can be read."),
}
ALLOWED_LATER_CHANGES = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
NEW_FORM_KEYS = {"/Fields", "/SigFlags", "/DR", "/DA", "/NeedAppearances"}
ACTIONS = ("/A", "/AA")  # what a signature field or widget never carries: actions run on opening
NO_ZOOM_OR_ROTATE = 8 | 16  # annotation flags NoZoom, NoRotate
MARKUP = ("/InkList", "/QuadPoints", "/L", "/Vertices", "/Popup")  # drawn from points, not /Rect


class FormCreatingRule(FormUpdatingRule):
    """pyHanko's form rule, also where the older revision has no form at all: the portal's
    declaration has none, and the applicant's signature brings the first one. The new form may
    then hold only what its field rules (signature fields) approve."""

    def apply(
        self, old: HistoricalResolver, new: HistoricalResolver
    ) -> Iterator[tuple[ModificationLevel, FormUpdate]]:
        if "/AcroForm" in old.root:
            yield from super().apply(old, new)
            return
        if "/AcroForm" not in new.root:
            return
        form = new.root["/AcroForm"]
        if not isinstance(form, generic.DictionaryObject) or set(form) - NEW_FORM_KEYS:
            raise SuspiciousModification("the new form holds more than its fields")
        for container, key in ((new.root, "/AcroForm"), (form, "/Fields")):
            raw = container.raw_get(key)
            if isinstance(raw, generic.IndirectObject):
                # Only an object new in this revision: reusing an older one would overwrite it.
                assert_not_stream(raw.get_object())
                for ref in safe_whitelist(old, None, raw.reference):
                    yield ModificationLevel.LTA_UPDATES, FormUpdate(ref)
        if "/DR" in form:
            for ref in new.collect_dependencies(form.raw_get("/DR"), since_revision=old.revision + 1):
                yield ModificationLevel.FORM_FILLING, FormUpdate(ref)
        fields = form["/Fields"] if "/Fields" in form else generic.ArrayObject()
        specs = dict(new_fields(fields))
        context = FieldComparisonContext(field_specs=specs, old=old, new=new)
        for rule in self.field_rules:
            yield from rule.apply(context)


def new_fields(
    fields: generic.PdfObject, parent: str = "", inherited_type: str | None = None
) -> Iterator[tuple[str, FieldComparisonSpec]]:
    """The fields of a form the older revision did not have, by full name, checked and listed as
    pyHanko's form rule lists them for its field rules. pyHanko has no public function for this
    (its own is `form_rules_api._list_fields`); this follows it for a form that is all new."""
    if not isinstance(fields, generic.ArrayObject):
        raise SuspiciousModification("Field list is not an array.")
    seen: set[str] = set()
    for ref in fields:
        if not isinstance(ref, generic.IndirectObject):
            raise SuspiciousModification("Fields must be indirect objects")
        field = ref.get_object()
        if not isinstance(field, generic.DictionaryObject):
            raise SuspiciousModification("Fields must be dictionary objects")
        if "/T" not in field:
            continue  # a widget, not a field
        name = field.raw_get("/T")
        if not isinstance(name, generic.TextStringObject | generic.ByteStringObject):
            raise SuspiciousModification("Names must be strings")
        partial = name if isinstance(name, str) else name.decode("latin-1")
        if partial in seen:
            raise SuspiciousModification("Duplicate field name")
        if "." in partial:
            raise SuspiciousModification("Partial names must not contain periods")
        seen.add(partial)
        full = f"{parent}.{partial}" if parent else partial
        field_type = field.raw_get("/FT") if "/FT" in field else inherited_type
        kids = field["/Kids"] if "/Kids" in field else generic.ArrayObject()
        if not kids and field_type is None:
            raise SuspiciousModification(f"Field type of terminal field {full!r} could not be determined")
        yield (
            full,
            FieldComparisonSpec(
                field_type=str(field_type) if field_type is not None else "",
                old_field_ref=None,
                new_field_ref=ref.reference,
                old_canonical_path=None,
            ),
        )
        if kids:
            yield from new_fields(kids, full, field_type)


# What may lie between the portal's declaration and the applicant's signature: pyHanko's default
# policy less the filling of other form fields, and with objects nothing refers to refused (they
# are what a shadow attack prepares before signing, to reveal after).
SIGNING_ONLY = StandardDiffPolicy(
    global_rules=[
        CatalogModificationRule(),
        DocInfoRule().as_qualified(ModificationLevel.LTA_UPDATES),
        XrefStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        ObjectStreamRule().as_qualified(ModificationLevel.LTA_UPDATES),
        DSSCompareRule().as_qualified(ModificationLevel.LTA_UPDATES),
        MetadataUpdateRule().as_qualified(ModificationLevel.LTA_UPDATES),
    ],
    form_rule=FormCreatingRule(field_rules=[SigFieldCreationRule(), SigFieldModificationRule()]),
    ignore_orphaned_objects=False,
)
SIGNING_USAGES = frozenset({"digital_signature", "non_repudiation"})  # either one signs documents
SIGNING_KEY_USAGE = KeyUsageConstraints(key_usage=SIGNING_USAGES)
WEAK_DIGESTS = {"md5", "sha1"}
_EXPIRED = {
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
}
_REVOKED = {AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}
# Vietnamese CAs write the holder's identifiers into the subject (UID, or serialNumber):
# CCCD:<12 digits>, CMND:<9 or 12>, HC:<passport>, MST:<tax code>, MNS:<budget unit code>.
_IDENTIFIER = re.compile(r"^\s*(CCCD|CMND|HC|MST|MNS)\s*[:\-]\s*(\S+)\s*$", re.IGNORECASE)


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
    subject_dn: str | None = None  # RFC 4514, for pinning agencies' certificates
    issuer_dn: str | None = None
    identifiers: tuple[str, ...] = ()  # ("CCCD:001090001234", "MST:0101234567")
    signer_match: dict[str, str] | None = None  # the applicant compared with the certificate

    @property
    def reason(self) -> str:
        return str(REASONS[self.problem]) if self.problem else ""

    def report(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict() would deep-copy
        for key in ("signing_time", "timestamp_time"):
            data[key] = data[key].isoformat() if data[key] else None
        data["identifiers"] = list(self.identifiers)
        return data

    def refused(self, problem: str) -> Verdict:
        return replace(self, ok=False, problem=problem)


def fingerprint(cert: asn1_x509.Certificate) -> bytes:
    return hashlib.sha256(cert.dump()).digest()


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
        if indic == AdESIndeterminate.NOT_YET_VALID:
            return "not_yet_valid"
        if indic in _EXPIRED:
            return "expired"
        return "untrusted"
    if not status.bottom_line:
        return "invalid"
    return None


def _certificate_problem(cert: asn1_x509.Certificate, not_signers: Collection[bytes]) -> str | None:
    """What no trust root can make right: the certificate is not one that signs documents."""
    if cert.ca:
        return "ca_certificate"
    if fingerprint(cert) in not_signers:
        return "portal_seal"
    usage = cert.key_usage_value
    if usage is not None and not SIGNING_USAGES & set(usage.native):
        return "key_usage"
    if cert.not_valid_before > datetime.now(UTC):
        return "not_yet_valid"
    return None


def _weak_digest(embedded: EmbeddedPdfSignature) -> bool:
    signer_info = embedded.signer_info
    digest = signer_info["digest_algorithm"]["algorithm"].native
    signature = signer_info["signature_algorithm"]
    try:
        hash_algo = signature.hash_algo
    except ValueError:  # RSASSA-PKCS1 without a hash in its name, or EdDSA: the digest decides
        hash_algo = digest
    return digest in WEAK_DIGESTS or hash_algo in WEAK_DIGESTS


def _level(status: PdfSignatureStatus, reader: PdfFileReader, revision: int) -> str:
    if status.timestamp_validity is None:
        return "B-B"
    if "/DSS" not in reader.root:
        return "B-T"
    has_doc_ts = any(  # a document timestamp over this signature, not one from before it
        s.sig_object.get("/Type") == "/DocTimeStamp" and s.signed_revision > revision
        for s in reader.embedded_signatures
    )
    return "B-LTA" if has_doc_ts else "B-LT"


def _names(cert: asn1_x509.Certificate) -> dict[str, Any]:
    subject = cert.subject.native
    identifiers = []
    for key in ("user_id", "serial_number"):
        values = subject.get(key)
        for value in [values] if isinstance(values, str) else values or []:
            match = _IDENTIFIER.match(value)
            if match:
                identifiers.append(f"{match[1].upper()}:{match[2]}")
    subject_dn: str | None
    issuer_dn: str | None
    try:
        parsed = x509.load_der_x509_certificate(cert.dump())
        subject_dn, issuer_dn = parsed.subject.rfc4514_string(), parsed.issuer.rfc4514_string()
    except ValueError:  # stricter than asn1crypto: such a certificate matches no pin
        subject_dn = issuer_dn = None
    return {
        "signer_name": subject.get("common_name"),
        "subject_dn": subject_dn,
        "issuer_dn": issuer_dn,
        "identifiers": tuple(identifiers),
    }


def _verdict(
    embedded: EmbeddedPdfSignature, status: PdfSignatureStatus, reader: PdfFileReader, problem: str | None
) -> Verdict:
    cert = status.signing_cert
    return Verdict(
        field=embedded.field_name,
        ok=problem is None,
        problem=problem,
        serial=format(cert.serial_number, "x"),
        issuer=cert.issuer.human_friendly,
        signing_time=status.signer_reported_dt,
        timestamp_time=status.timestamp_validity.timestamp if status.timestamp_validity else None,
        level=_level(status, reader, embedded.signed_revision),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        coverage=status.coverage.name if status.coverage else None,
        modification_level=status.modification_level.name if status.modification_level else None,
        **_names(cert),
    )


def failed(field: str, problem: str) -> Verdict:
    return Verdict(field, False, problem, None, None, None, None, None, "", False, False, False, None, None)


async def _check(
    embedded: EmbeddedPdfSignature,
    reader: PdfFileReader,
    context: ValidationContext,
    not_signers: Collection[bytes],
) -> Verdict:
    try:
        if _weak_digest(embedded):
            return failed(embedded.field_name, "weak_algorithm")
        status = await async_validate_pdf_signature(
            embedded, signer_validation_context=context, key_usage_settings=SIGNING_KEY_USAGE
        )
    except Exception:  # a signature pyHanko cannot even evaluate is not valid
        return failed(embedded.field_name, "invalid")
    problem = _problem(status)
    if problem in (None, "untrusted", "expired", "invalid"):
        problem = _certificate_problem(status.signing_cert, not_signers) or problem
    return _verdict(embedded, status, reader, problem)


def _signatures(reader: PdfFileReader) -> list[EmbeddedPdfSignature]:
    return [s for s in reader.embedded_signatures if s.sig_object.get("/Type") != "/DocTimeStamp"]


async def async_validate(
    pdf: bytes | BinaryIO, context: ValidationContext, *, not_signers: Collection[bytes] = ()
) -> list[Verdict]:
    """Every signature in the file (bytes, or an open file for large attachments).
    `not_signers`: SHA-256 fingerprints of certificates that never pass (the portal's seal)."""
    try:
        reader = PdfFileReader(BytesIO(pdf) if isinstance(pdf, bytes) else pdf, strict=False)
        signatures = _signatures(reader)
    except Exception:  # a damaged file is a refusal, not a crash
        return [failed("", "unreadable")]
    if not signatures:
        return [failed("", "not_signed")]
    return [await _check(embedded, reader, context, not_signers) for embedded in signatures]


def validate(
    pdf: bytes | BinaryIO, context: ValidationContext, *, not_signers: Collection[bytes] = ()
) -> list[Verdict]:
    return asyncio.run(async_validate(pdf, context, not_signers=not_signers))


def _only_signing_between(reader: PdfFileReader, base: int, signature: EmbeddedPdfSignature) -> bool:
    """pyHanko's difference analysis of every revision from the declaration's last one up to
    the one holding the signature: at most a signature field created or filled, this one."""
    old = reader.get_historical_resolver(base)
    for revision in range(base + 1, signature.signed_revision + 1):
        try:
            diff = SIGNING_ONLY.apply(old, reader.get_historical_resolver(revision))
        except Exception:  # SuspiciousModification, or a revision pyHanko cannot compare
            return False
        if diff.modification_level > ModificationLevel.FORM_FILLING:
            return False
        if diff.changed_form_fields - {signature.field_name}:
            return False
    # pyHanko leaves out of changed_form_fields what stays valid under a field lock (an empty
    # signature field, a document timestamp): the new fields must be exactly this signature's.
    signed = reader.get_historical_resolver(signature.signed_revision)
    before = {name for name, _, _ in enumerate_sig_fields(old)}
    return {name for name, _, _ in enumerate_sig_fields(signed)} - before == {signature.field_name}


def _signature_widgets(reader: PdfFileReader) -> Iterator[tuple[int, generic.DictionaryObject, list]]:
    """Every widget of a signature field on every page: (page index, widget, its field chain)."""
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        for annotation in page.get("/Annots", generic.ArrayObject()).get_object():  # get() keeps refs
            widget = annotation.get_object()
            chain = [widget]
            while "/Parent" in chain[-1] and len(chain) < 32:
                chain.append(chain[-1]["/Parent"])
            if any("/FT" in node and node["/FT"] == "/Sig" for node in chain):
                yield index, widget, chain


def _widget_problem(reader: PdfFileReader, area: tuple[float, float, float, float] | None) -> str | None:
    """A signature's widgets carry no action, and their appearance never covers the declaration:
    each visible one lies on the last page inside `area` (the blank space left for signing)."""
    last = int(reader.root["/Pages"]["/Count"]) - 1
    for index, widget, chain in _signature_widgets(reader):
        if any(key in node for node in chain for key in ACTIONS):
            return "wrong_document"
        # pyHanko takes any child of a signature field for its widget; a viewer draws an ink
        # stroke or a highlight from its own points, wherever its /Rect says it is.
        if widget.get("/Subtype") != "/Widget" or any(key in widget for key in MARKUP):
            return "wrong_document"
        if int(widget.get("/F", 0)) & NO_ZOOM_OR_ROTATE:  # drawn past its /Rect when zoomed
            return "wrong_document"
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"]) if "/Rect" in widget else (0, 0, 0, 0)
        x1, x2, y1, y2 = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
        if area is None or (x2 - x1) * (y2 - y1) == 0:
            continue  # an invisible signature
        ax1, ay1, ax2, ay2 = area
        inside = x1 >= ax1 - 1 and y1 >= ay1 - 1 and x2 <= ax2 + 1 and y2 <= ay2 + 1
        if index != last or not inside:
            return "misplaced"
    return None


def _declaration_revision(reader: PdfFileReader, declaration: bytes) -> int | None:
    """The signed file's revision that ends the declaration, if its history runs through it."""
    original = PdfFileReader(BytesIO(declaration), strict=False)
    base = original.xrefs.total_revisions - 1
    if reader.xrefs.total_revisions < base + 1:
        return None
    for revision in range(base + 1):
        ours = original.xrefs.get_xref_container_info(revision)
        theirs = reader.xrefs.get_xref_container_info(revision)
        if (ours.start_location, ours.end_location) != (theirs.start_location, theirs.end_location):
            return None
    later = reader.xrefs.total_revisions > base + 1
    if later and reader.xrefs.get_xref_container_info(base + 1).start_location < len(declaration):
        return None
    return base


async def async_check_declaration(
    signed: bytes,
    *,
    declaration: bytes,
    context: ValidationContext,
    not_signers: Collection[bytes] = (),
    signature_area: tuple[float, float, float, float] | None = None,
) -> Verdict:
    """The applicant's signature on exactly this declaration: the signed file must begin with
    the declaration's bytes (a signature is an incremental update), add exactly one signature,
    and between the two hold nothing but what signing writes. With `signature_area` (x1, y1, x2,
    y2 on the declaration's last page), a visible signature must lie inside it."""
    if hashlib.sha256(signed[: len(declaration)]).digest() != hashlib.sha256(declaration).digest():
        return failed("", "wrong_document")
    try:
        reader = PdfFileReader(BytesIO(signed), strict=False)
        base = _declaration_revision(reader, declaration)
        added = [s for s in _signatures(reader) if base is not None and s.signed_revision > base]
    except Exception:
        return failed("", "unreadable")
    if base is None:
        return failed("", "wrong_document")
    if not added:
        return failed("", "not_signed")
    if len(added) > 1 or not _only_signing_between(reader, base, added[0]):
        return failed(added[0].field_name, "wrong_document")
    try:
        problem = _widget_problem(reader, signature_area)
    except Exception:  # a widget or page tree pyHanko cannot walk
        problem = "wrong_document"
    if problem:
        return failed(added[0].field_name, problem)
    return await _check(added[0], reader, context, not_signers)


def check_declaration(
    signed: bytes,
    *,
    declaration: bytes,
    context: ValidationContext,
    not_signers: Collection[bytes] = (),
    signature_area: tuple[float, float, float, float] | None = None,
) -> Verdict:
    return asyncio.run(
        async_check_declaration(
            signed,
            declaration=declaration,
            context=context,
            not_signers=not_signers,
            signature_area=signature_area,
        )
    )


def declaration_prefix(signed: bytes, sha256: str) -> bytes | None:
    """The declaration a signed file was made from, found by its SHA-256 among the file's
    revision ends (for `package verify`, which has the signed file and the declaration's hash)."""
    for match in re.finditer(rb"%%EOF(\r\n|\r|\n)?", signed):
        for end in {match.start() + 5, match.end()}:
            if hashlib.sha256(signed[:end]).hexdigest() == sha256:
                return signed[:end]
    return None
