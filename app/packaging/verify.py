"""Checking a dossier package: what `flask package verify` and the reference back office run.

A package checks out when
  - it is a zip holding exactly the entries its manifest names, each once, none outside the package;
  - `manifest.xml` carries a XAdES-BES seal that xmlsec1 verifies up to a trusted root, enveloping
    the whole document, and its essentials agree with `manifest.json`, whose sha256 it seals;
  - every file has the size and sha256 the manifest gives;
  - the declaration carries the applicant's valid PAdES signature (the portal's own rules);
  - each paid payment's receipt (bien-lai/<number>.pdf) carries the portal's valid seal.
Any failure is reported by entry name; nothing is trusted before the seal has been checked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import tempfile
import zipfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from lxml import etree
from pyhanko_certvalidator import ValidationContext

from app.packaging.manifest import NAMESPACE
from app.signing.validation import Verdict, check_declaration, declaration_prefix, failed, validate

DSIG = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
FORMAT = "opendvc-dossier-package/1"
CHUNK = 1024 * 1024
MAX_MANIFEST = 16 * 1024 * 1024


@dataclass
class Report:
    code: str | None = None
    key: str | None = None  # the dossier code, `<code>-BS<n>` for a supplement, `<code>-RUT`
    problems: list[str] = field(default_factory=list)
    sealed_by: str | None = None
    signed_by: str | None = None
    files: int = 0
    receipts: int = 0  # the paid payments' receipts, each sealed by the portal

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _check_seal(xml: bytes, trusted_pem: bytes) -> str | None:
    """None when xmlsec1 verifies the enveloped signature and its certificate up to `trusted_pem`
    (the certificates in KeyInfo serve as the untrusted chain)."""
    with tempfile.TemporaryDirectory(prefix="opendvc-verify-") as folder:
        manifest, roots = Path(folder) / "manifest.xml", Path(folder) / "roots.pem"
        manifest.write_bytes(xml)  # public data: a manifest and certificates
        roots.write_bytes(trusted_pem)
        try:
            done = subprocess.run(
                [
                    "xmlsec1",
                    "--verify",
                    "--enabled-reference-uris",
                    "empty,same-doc",
                    "--trusted-pem",
                    str(roots),
                    "--id-attr:Id",
                    f"{XADES}:SignedProperties",
                    str(manifest),
                ],
                capture_output=True,
                timeout=60,
                check=False,
            )
        except FileNotFoundError:
            return "xmlsec1 is not installed: the seal cannot be checked"
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        return "the seal does not verify" + (f" ({lines[-1]})" if lines else "")
    return None


def _sealed_essentials(root: etree._Element) -> tuple[str | None, dict[str, str]]:
    """The signature must envelop the whole document: one ds:Signature, a child of the root,
    referencing the document (URI "") and its own signed properties, nothing else."""
    signatures = root.findall(f".//{{{DSIG}}}Signature")
    if len(signatures) != 1 or signatures[0].getparent() is not root:
        return "manifest.xml must carry exactly one signature, enveloped in the document", {}
    uris = sorted(
        r.get("URI", "") for r in signatures[0].iterfind(f"{{{DSIG}}}SignedInfo/{{{DSIG}}}Reference")
    )
    if len(uris) != 2 or uris[0] != "" or not uris[1].startswith("#SignedProperties"):
        return "the seal of manifest.xml does not cover the whole document", {}
    cert = signatures[0].findtext(f".//{{{DSIG}}}X509Certificate") or ""
    n = f"{{{NAMESPACE}}}"
    values = {
        "code": root.findtext(f"{n}MaHoSo") or "",
        "manifest_json": root.findtext(f"{n}ManifestJSON/{n}SHA256") or "",
        "declaration": root.findtext(f"{n}DonDeNghiDaKy/{n}SHA256") or "",
        "supplement": root.findtext(f"{n}LanBoSung") or "",
        "withdrawal": "yes" if root.find(f"{n}RutHoSo") is not None else "",
        "rating": root.findtext(f"{n}DanhGiaHaiLong/{n}LanDanhGia") or "",
        "payment": root.findtext(f"{n}ThanhToanLePhi/{n}LanThanhToan") or "",
        "receipts": json.dumps(
            [
                [
                    t.findtext(f"{n}LanThanhToan"),
                    t.findtext(f"{n}BienLai/{n}SHA256"),
                    t.findtext(f"{n}BienLai/{n}KichThuoc"),
                ]
                for t in root.iter(f"{n}ThanhToan")
            ]
        ),
        "files": json.dumps(
            [[t.findtext(f"{n}SHA256"), t.findtext(f"{n}KichThuoc")] for t in root.iter(f"{n}TepDinhKem")]
        ),
        "cert": cert,
    }
    return None, values


def _common_name(b64: str) -> str | None:
    try:
        return asn1_x509.Certificate.load(base64.b64decode(b64)).subject.native.get("common_name")
    except ValueError:
        return None


def _declaration_verdict(
    signed: bytes, unsigned_sha256: object, context: ValidationContext, not_signers: Collection[bytes]
) -> Verdict:
    """The portal's rule for a signed declaration, the declaration found inside the signed file
    by the SHA-256 the manifest gives for it."""
    original = declaration_prefix(signed, unsigned_sha256) if isinstance(unsigned_sha256, str) else None
    if original is None:
        return failed("", "wrong_document")
    return check_declaration(signed, declaration=original, context=context, not_signers=not_signers)


def verify(
    source: str | Path | IO[bytes],
    *,
    trust_roots: Iterable[asn1_x509.Certificate],
    context: ValidationContext,
    not_signers: Collection[bytes] = (),
) -> Report:
    """Check a package (a path or a seekable binary file). `trust_roots` anchor the seal,
    `context` validates the applicant's signature."""
    report = Report()
    problems = report.problems
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(f"not a zip file: {exc}")
        return report
    with archive:
        names = [i.filename for i in archive.infolist()]
        if len(set(names)) != len(names):
            problems.append("the zip holds the same name twice")
            return report
        for required in ("manifest.json", "manifest.xml"):
            if required not in names:
                problems.append(f"{required}: missing")
        if problems:
            return report
        if any(archive.getinfo(n).file_size > MAX_MANIFEST for n in ("manifest.json", "manifest.xml")):
            problems.append("a manifest is too large")
            return report
        xml = archive.read("manifest.xml")
        raw_json = archive.read("manifest.json")
        try:
            root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            problems.append(f"manifest.xml: not XML ({exc})")
            return report
        problem, sealed = _sealed_essentials(root)
        if problem is None:
            roots = b"".join(pem.armor("CERTIFICATE", c.dump()) for c in trust_roots)
            problem = _check_seal(xml, roots) if roots else "no trusted root to check the seal against"
        if problem is not None:
            problems.append(f"manifest.xml: {problem}")
            return report  # nothing else can be trusted
        report.sealed_by = _common_name(sealed["cert"])
        if hashlib.sha256(raw_json).hexdigest() != sealed["manifest_json"]:
            problems.append("manifest.json: changed after the portal sealed the package")
            return report
        try:
            manifest: dict[str, Any] = json.loads(raw_json)
        except ValueError:
            problems.append("manifest.json: not JSON")
            return report
        if manifest.get("format") != FORMAT:
            problems.append(f"manifest.json: unknown format {manifest.get('format')!r}")
            return report
        report.code = manifest.get("dossier_code")
        supplement = (manifest.get("supplement") or {}).get("number")
        withdrawal = manifest.get("kind") == "withdrawal"
        report.key = f"{report.code}-BS{supplement}" if supplement else report.code
        if withdrawal:
            report.key = f"{report.code}-RUT"
        rating = (manifest.get("rating") or {}).get("number") if manifest.get("kind") == "rating" else None
        if rating:
            report.key = f"{report.code}-DG{rating}"
        told = (manifest.get("payment") or {}).get("charge") if manifest.get("kind") == "payment" else None
        if told:
            report.key = f"{report.code}-TT{told}"
        if str(told or "") != sealed["payment"]:
            problems.append("manifest.xml and manifest.json disagree on the payment")
        paid = [p for p in manifest.get("payments") or [] if isinstance(p, dict)]
        receipts = [r if isinstance(r := p.get("receipt"), dict) else {} for p in paid]
        expected_receipts = [
            [str(p.get("charge")), r.get("sha256"), str(r.get("size"))]
            for p, r in zip(paid, receipts, strict=True)
        ]
        if json.dumps(expected_receipts) != sealed["receipts"]:
            problems.append("manifest.xml and manifest.json list different payments")
        if str(rating or "") != sealed["rating"]:
            problems.append("manifest.xml and manifest.json disagree on the rating")
        if str(supplement or "") != sealed["supplement"]:
            problems.append("manifest.xml and manifest.json disagree on the supplement")
        if ("yes" if withdrawal else "") != sealed["withdrawal"]:
            problems.append("manifest.xml and manifest.json disagree on the withdrawal")
        if report.code != sealed["code"]:
            problems.append("manifest.xml and manifest.json name different dossiers")
        files = manifest.get("files") or []
        declaration = manifest.get("declaration")
        listed = [f["path"] for f in files] + ([declaration["path"]] if declaration else [])
        listed += [r["path"] for r in receipts if "path" in r]
        expected_files = [[f["sha256"], str(f["size"])] for f in files]
        if json.dumps(expected_files) != sealed["files"]:
            problems.append("manifest.xml and manifest.json list different files")
        if (declaration or {}).get("sha256", "") != sealed["declaration"]:
            problems.append("manifest.xml and manifest.json name different declarations")
        for extra in sorted(set(names) - {"manifest.json", "manifest.xml", *listed}):
            problems.append(f"{extra}: not listed in the manifest")
        for entry in [*files, *([declaration] if declaration else []), *receipts]:
            path = entry.get("path")
            if not isinstance(path, str):
                problems.append("manifest.json: a receipt without its path")
                continue
            if path not in names:
                problems.append(f"{path}: missing")
                continue
            digest, size = _sha256(archive, path)
            if digest != entry["sha256"] or ("size" in entry and size != entry["size"]):
                problems.append(f"{path}: does not match its sha256 in the manifest")
        report.files = len(files)
        if declaration and declaration["path"] in names and not problems:
            with archive.open(declaration["path"]) as signed:
                verdict = _declaration_verdict(
                    signed.read(), declaration.get("unsigned_sha256"), context, not_signers
                )
            if not verdict.ok:
                problems.append(
                    f"{declaration['path']}: the applicant's signature does not hold ({verdict.problem})"
                )
            else:
                report.signed_by = verdict.signer_name
        if not problems:
            for receipt in receipts:
                with archive.open(receipt["path"]) as pdf:
                    problem = _receipt_problem(pdf.read(), context)
                if problem is not None:
                    problems.append(f"{receipt['path']}: {problem}")
        report.receipts = len(receipts)
    return report


def _receipt_problem(pdf: bytes, context: ValidationContext) -> str | None:
    """None when the receipt (biên lai) carries one seal, intact, trusted and covering the whole
    file (changed afterwards at most by validation data and timestamps): the portal's rules for
    any signature (app/signing/validation.py)."""
    verdicts = validate(pdf, context)
    if len(verdicts) != 1:
        return "the receipt must carry exactly one seal"
    if not verdicts[0].ok:
        return f"the receipt's seal does not hold ({verdicts[0].problem})"
    return None
