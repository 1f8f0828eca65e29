"""A package is built from plain inputs: no application, no database, only a folder of blobs."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, date, datetime

from lxml import etree

from app.packaging.inputs import (
    Applicant,
    DeclarationFacts,
    Fee,
    PackageFile,
    PackageInputs,
    Person,
    ProcedureFacts,
    SupplementFacts,
)
from app.packaging.manifest import NAMESPACE
from app.packaging.package import build
from app.signing.keys import from_pkcs12
from app.storage import LocalBlobStore as BlobStore
from tests.pki import PASSPHRASE

RECEIVED = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)  # 09:30 in Viet Nam


def _inputs(blobs: BlobStore, supplement: SupplementFacts | None = None) -> PackageInputs:
    scan = blobs.put(b"%PDF-1.7 a scanned licence")
    table = blobs.put("Tên,Số lượng\nMáy bơm,2\n".encode())
    signed = blobs.put(b"%PDF-1.7 the signed declaration")
    return PackageInputs(
        dossier_code="000.00.99.G09-261201-0007",
        procedure=ProcedureFacts(
            code="T.000001",
            name="Thủ tục thử nghiệm",
            version="v" * 64,
            agency_code="000.00.99.G09",
            field_code="MT",
            field_name="Môi trường",
            fees=(
                Fee("Lệ phí", 150_000, code="LP01"),
                Fee("Phí thẩm định", None, code="PTD", kind="phi", basis="decided_later"),
            ),
            component_names={"GP": "Giấy phép", "BANG": "Bảng kê"},
        ),
        applicant=Applicant(
            name="Nguyễn Thị Thu Hà",
            identifier="001099012345",
            email="ha@example.vn",
            kind="citizen",
            submitter=Person(name="Trần Văn Nam", identifier="001088001234"),
        ),
        answers={"ho_ten": "Nguyễn Thị Thu Hà", "so_luong": 2},
        received_at=RECEIVED,
        due_on=date(2026, 12, 8),
        files=(
            PackageFile("GP", "giay-phep.pdf", "application/pdf", 26, scan),
            PackageFile("BANG", "bang-ke.csv", "text/csv", 29, table),
        ),
        declaration=DeclarationFacts(
            path="don-de-nghi-da-ky.pdf",
            sha256=signed,
            unsigned_sha256="0" * 64,
            signer_name="Nguyễn Thị Thu Hà",
            certificate_serial="1234",
            certificate_issuer="CN=Demo CA",
            signing_time=RECEIVED,
            level="B-B",
        ),
        sealed_at=RECEIVED,
        supplement=supplement,
    )


def test_a_package_is_written_from_plain_inputs(tmp_path):
    blobs = BlobStore(tmp_path / "blobs")
    package = build(_inputs(blobs), open_blob=blobs.open)
    out = tmp_path / "package.zip"
    with out.open("wb") as f:
        package.write_zip(f)

    with zipfile.ZipFile(out) as z:
        assert z.namelist() == [
            "don-de-nghi-da-ky.pdf",
            "manifest.json",
            "manifest.xml",
            "tai-lieu/01-GP-giay-phep.pdf",
            "tai-lieu/02-BANG-bang-ke.csv",
        ]
        manifest = json.loads(z.read("manifest.json"))
        for listed in manifest["files"]:
            assert hashlib.sha256(z.read(listed["path"])).hexdigest() == listed["sha256"]
        xml = etree.fromstring(z.read("manifest.xml"))
    assert package.code == "000.00.99.G09-261201-0007"
    assert manifest["kind"] == "submission"
    assert manifest["received_at"] == "2026-12-01T09:30:00+07:00"
    # The fee shape the back offices read (issue 10 §3, §4): code, kind, name, amount (None: decided later).
    assert [
        {k: f[k] for k in ("code", "kind", "name", "amount", "basis")} for f in manifest["procedure"]["fees"]
    ] == [
        {"code": "LP01", "kind": "le_phi", "name": "Lệ phí", "amount": 150_000, "basis": "fixed"},
        {"code": "PTD", "kind": "phi", "name": "Phí thẩm định", "amount": None, "basis": "decided_later"},
    ]
    assert manifest["applicant"]["kind"] == "citizen"
    assert manifest["applicant"]["submitter"]["name"] == "Trần Văn Nam"
    assert manifest["applicant"]["co_applicants"] == []
    assert manifest["procedure"]["case"] is None
    assert [e.findtext(f"{{{NAMESPACE}}}Gia") for e in xml.iter(f"{{{NAMESPACE}}}LePhi")] == ["150000", ""]
    assert xml.findtext(f"{{{NAMESPACE}}}LoaiChuHoSo") == "citizen"
    assert manifest["declaration"]["certificate_issuer"] == "CN=Demo CA"
    assert [f["component_name"] for f in manifest["files"]] == ["Giấy phép", "Bảng kê"]
    assert xml.findtext(f"{{{NAMESPACE}}}MaHoSo") == "000.00.99.G09-261201-0007"
    assert xml.findtext(f"{{{NAMESPACE}}}NgayTiepNhan") == "20261201093000"
    assert xml.findtext(f"{{{NAMESPACE}}}ManifestJSON/{{{NAMESPACE}}}SHA256") == (
        hashlib.sha256(package.entries[-2].data or b"").hexdigest()
    )
    assert build(_inputs(blobs), open_blob=blobs.open).zip_bytes() == out.read_bytes()  # same bytes


def test_a_supplement_package_is_keyed_and_sealed(tmp_path, pki):
    blobs = BlobStore(tmp_path / "blobs")
    supplement = SupplementFacts(2, "Bổ sung bản đồ", RECEIVED, RECEIVED)
    seal = from_pkcs12(pki.pkcs12("seal"), PASSPHRASE)
    package = build(_inputs(blobs, supplement), open_blob=blobs.open, seal=seal)
    assert package.code == "000.00.99.G09-261201-0007-BS2"
    assert package.kind == "supplement"
    assert package.manifest["supplement"]["number"] == 2
    xml = etree.fromstring({e.name: e.data for e in package.entries}["manifest.xml"])
    assert xml.findtext(f"{{{NAMESPACE}}}LanBoSung") == "2"
    assert xml.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue") is not None
