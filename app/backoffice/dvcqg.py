"""The `dvcqg` adapter: the national public service portal's dossier sync (`DongBoHoSoMC`).

The dossier goes out under the national portal's field names, dates as `yyyyMMddHHmmss` in
Asia/Ho_Chi_Minh and TrangThaiHoSo 1 (new), as a multipart body: `data`, the JSON record
`{"data": [{…}]}`, and `package`, the dossier package whose paths `DuongDanTaiTepTin` names.
Authentication and idempotency are those of the `http` adapter. The answer is the portal's
`{"error_code": "0", …}`; any other error code is a refusal of the record itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel

from app.backoffice.adapters import Delivered, DeliveryRefused
from app.backoffice.http import PostingBackOffice, TransportOptions, multipart, package_file, reference_from
from app.clock import VIETNAM
from app.fields.identifiers import holder_kind
from app.packaging.package import DossierPackage, manifest_json

NATIONAL = "%Y%m%d%H%M%S"
END_OF_OFFICE_DAY = "170000"  # NgayHenTra is a day; the national format wants a time too


def applicant_kind(identifier: str | None) -> str:
    """LoaiDoiTuong: 1 a citizen (12-digit personal number), 2 a business (tax code)."""
    return "1" if holder_kind(identifier) == "citizen" else "2"


def record(manifest: dict[str, Any]) -> dict[str, Any]:
    """The DongBoHoSoMC record of a package's manifest."""
    procedure, applicant = manifest["procedure"], manifest["applicant"]
    received = datetime.fromisoformat(manifest["received_at"]).astimezone(VIETNAM)
    due = manifest.get("due_on")
    files = [
        {
            "TepDinhKemId": f["sha256"],
            "TenTepDinhKem": f["file_name"],
            "MaThanhPhanHoSo": f["component"],
            "DuongDanTaiTepTin": f["path"],
        }
        for f in manifest["files"]
    ]
    if manifest.get("declaration"):
        declaration = manifest["declaration"]
        files.insert(
            0,
            {
                "TepDinhKemId": declaration["sha256"],
                "TenTepDinhKem": declaration["path"],
                "MaThanhPhanHoSo": "DonDeNghi",
                "DuongDanTaiTepTin": declaration["path"],
            },
        )
    return {
        "MaHoSo": manifest["dossier_code"],
        "MaTTHC": procedure["code"],
        "TenTTHC": procedure["name"],
        "MaLinhVuc": procedure["field"]["code"],
        "TenLinhVuc": procedure["field"]["name"],
        "ChuHoSo": applicant["name"] or "",
        "LoaiDoiTuong": applicant_kind(applicant["identifier"]),
        "MaDoiTuong": applicant["identifier"] or "",
        "Email": applicant["email"] or "",
        "SoDienThoai": applicant["phone"] or "",
        "TrichYeuHoSo": f"{procedure['name']} - {applicant['name'] or ''}",
        "NgayTiepNhan": received.strftime(NATIONAL),
        "NgayHenTra": due.replace("-", "") + END_OF_OFFICE_DAY if due else "",
        "TrangThaiHoSo": "1",
        "TaiLieuNop": files,
        "DanhSachLePhi": [{"TenPhiLePhi": fee["name"], "MucPhi": fee["amount"]} for fee in procedure["fees"]],
    }


class DvcqgBackOffice(PostingBackOffice):
    name = "dvcqg"
    Options: ClassVar[type[BaseModel]] = TransportOptions

    def submit(self, *, package: DossierPackage) -> Delivered:
        if package.kind != "submission":
            # DongBoHoSoMC syncs dossiers; supplements need the agency's own channel (http).
            raise DeliveryRefused(f"the dvcqg adapter does not send {package.kind} packages")
        data = manifest_json({"data": [record(package.manifest)]})
        headers = {"Idempotency-Key": package.code, "X-OpenDVC-Package": "submission"}
        with package_file(package) as zipped:
            body, content_type = multipart(
                [
                    ("data", "DongBoHoSoMC.json", "application/json", data),
                    ("package", f"{package.code}.zip", "application/zip", zipped),
                ]
            )
            with body:
                answer = self.poster.post(body, content_type=content_type, headers=headers)
        reference = reference_from(answer)
        error_code = str((answer.json() or {}).get("error_code", "0"))
        if error_code != "0":
            raise DeliveryRefused(f"the national portal answered error_code {error_code}")
        return Delivered(reference=reference)
