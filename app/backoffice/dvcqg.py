"""The `dvcqg` adapter: the dossier and its progress as integrators send them to the national
public service portal (Cổng Dịch vụ công quốc gia). docs/dvcqg-mapping.md is the field-by-field
mapping; docs/schemas/dvcqg-*.schema.json the JSON Schemas built from it.

One endpoint (`url`), the service named in the body, as the national portal's integration API
takes it:

    {"service": "DongBoHoSoMC", "isUpdating": "False", "data": [<the dossier>]}     submission
    {"service": "CapNhatTienDoHoSoMC", "data": [<a step of its progress>]}           supplement,
                                                                                     withdrawal

Dates are `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh and codes are strings, as the portal wants them.
The files are not inside the record: each `DuongDanTaiTepTin` is an expiring signed link served
by the portal (GET /api/v1/files/<token>, app/api/files.py) that the national portal fetches.

The body is multipart: `data`, the JSON above, and `package`, the dossier's package (the
submission's, or the supplement's) for an agency system on the same line; a withdrawal carries
no files and goes as `data` alone. A rating of the service (`<code>-DG<n>`) and a payment of fees
(`<code>-TT<n>`) have no national record in the mapping (docs/dvcqg-mapping.md, "Ratings",
"Payments"): they go as the `package` part alone, for the agency system on the same line. The
dossier's record says whether its fees were paid online (DuocThanhToanTrucTuyen).
Authentication and idempotency are those of the `http` adapter (the package's key: `<code>`,
`<code>-BS<n>`, `<code>-RUT`, `<code>-DG<n>`, `<code>-TT<n>`). The answer is the portal's
`{"error_code": "0", …}`; any other error code is a refusal of the record itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from flask import current_app
from pydantic import BaseModel

from app.backoffice import files
from app.backoffice.adapters import Delivered, DeliveryRefused
from app.backoffice.http import PostingBackOffice, TransportOptions, multipart, package_file, reference_from
from app.clock import VIETNAM
from app.fields.identifiers import holder_kind
from app.packaging.package import DossierPackage, manifest_json

NATIONAL = "%Y%m%d%H%M%S"
END_OF_OFFICE_DAY = "170000"  # NgayHenTra is a day; the national format wants a time too
SYNC = "DongBoHoSoMC"
PROGRESS = "CapNhatTienDoHoSoMC"

ONLINE = "2"  # KenhThucHien: 1 trực tiếp, 2 trực tuyến, 3 qua bưu chính công ích
SUBMITTED_ELSEWHERE = "2"  # NoiNopHoSo: 1 on the national portal, 2 on the agency's own portal
NEW, SUPPLEMENT_REQUESTED, WITHDRAWN = "1", "5", "7"  # TrangThaiHoSo / TrangThai
CITIZEN, ORGANISATION = "1", "2"  # LoaiDoiTuong
FEE, CHARGE = "1", "2"  # LoaiPhiLePhi: phí, lệ phí
ON_FILING, ON_RESULT = "1", "4"  # HinhThucThu: collected when filed, when the result is given
NOT_PAID_ONLINE, PAID_ON_GATEWAY = "0", "2"  # DuocThanhToanTrucTuyen: 1 would be on the national portal
ALONE = ("rating", "payment")  # packages without a national record: the package part alone
KINDS = {"citizen": CITIZEN, "foreigner": CITIZEN, "business": ORGANISATION, "organisation": ORGANISATION}

# (dossier code, sha256) -> an address the national portal can fetch the file at
Linker = Callable[[str, str], str]


def _national(moment: str | None) -> str:
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(VIETNAM).strftime(NATIONAL)


def _day(day: str | None, closes: str) -> str:
    return day.replace("-", "") + closes if day else ""


def applicant_kind(applicant: dict[str, Any]) -> str:
    """LoaiDoiTuong: 1 a person (citizen, foreigner), 2 a business or another organisation. From
    the applicant kind the dossier records; without one, from the identifier (12 digits: a
    personal number)."""
    kind = applicant.get("kind")
    if isinstance(kind, str) and kind in KINDS:
        return KINDS[kind]
    return CITIZEN if holder_kind(applicant.get("identifier")) == "citizen" else ORGANISATION


def identities(applicant: dict[str, Any]) -> list[dict[str, str]]:
    """DinhDanhCHS: the applicant's personal number (LoaiDinhDanh 1, the 12-digit one); an
    organisation's tax code is SoGiayToChuHoSo only."""
    identifier = applicant.get("identifier") or ""
    if holder_kind(identifier) == "citizen":
        return [{"LoaiDinhDanh": "1", "SoDinhDanh": identifier}]
    return []


def fee_kind(fee: dict[str, Any]) -> str:
    """LoaiPhiLePhi from the fee's kind; a fee without one is told by its name (Phí …/Lệ phí …)."""
    kind = fee.get("kind")
    if kind == "phi":
        return FEE
    if kind == "le_phi":
        return CHARGE
    return FEE if str(fee.get("name") or "").strip().lower().startswith("phí") else CHARGE


def fees(procedure: dict[str, Any]) -> list[dict[str, str]]:
    """DanhSachLePhi: each fee due. An amount fixed later by decision has no Gia yet and is
    collected when the result is given."""
    listed = []
    for fee in procedure.get("fees") or []:
        amount = fee.get("amount")
        known = isinstance(amount, int) and not isinstance(amount, bool)
        listed.append(
            {
                "TenPhiLePhi": str(fee.get("name") or ""),
                "MaPhiLePhi": str(fee.get("code") or ""),
                "HinhThucThu": ON_FILING if known else ON_RESULT,
                "Gia": str(amount) if known else "",
                "LoaiPhiLePhi": fee_kind(fee),
            }
        )
    return listed


def _file(file_id: str, name: str, component: str, link: str) -> dict[str, str]:
    return {
        "TepDinhKemId": file_id,
        "TenTepDinhKem": name,
        "MaThanhPhanHoSo": component,
        "DuongDanTaiTepTin": link,
        "IsDeleted": "0",
        "DuocSoHoa": "1",  # an electronic file, as filed
        "DuocTaiSuDung": "0",
        "DuocLayTuKhoDMQG": "0",  # not taken from the national portal's store of documents
        "MaKetQuaThayThe": "",
    }


def documents(manifest: dict[str, Any], link: Linker, key: str) -> list[dict[str, str]]:
    """TaiLieuNop: the signed declaration, then each attachment, each with its own id (the
    package key and its place in the package) and its signed link."""
    code = manifest["dossier_code"]
    listed = []
    declaration = manifest.get("declaration")
    if declaration:
        name = declaration["path"]
        listed.append(_file(f"{key}.00", name, "DonDeNghi", link(code, declaration["sha256"])))
    for number, f in enumerate(manifest.get("files") or [], 1):
        listed.append(_file(f"{key}.{number:02d}", f["file_name"], f["component"], link(code, f["sha256"])))
    return listed


def record(
    manifest: dict[str, Any], link: Linker, *, key: str | None = None, closes: str = END_OF_OFFICE_DAY
) -> dict[str, Any]:
    """The DongBoHoSoMC record of a submission package's manifest; `link` gives each file's
    address, `key` is the package's (the dossier code), `closes` the end of the office day
    NgayHenTra is given at (HHMMSS)."""
    procedure, applicant = manifest["procedure"], manifest["applicant"]
    name = applicant.get("name") or ""
    taken = documents(manifest, link, key or manifest["dossier_code"])
    listed_fees = fees(procedure)
    return {
        "MaHoSo": manifest["dossier_code"],
        "MaTTHC": procedure["code"],
        "TenTTHC": procedure["name"],
        "MaLinhVuc": procedure["field"]["code"],
        "TenLinhVuc": procedure["field"]["name"],
        "KenhThucHien": ONLINE,
        "ChuHoSo": name,
        "LoaiDoiTuong": applicant_kind(applicant),
        "MaDoiTuong": "",  # the applicant's national portal account, which this portal does not know
        "SoGiayToChuHoSo": applicant.get("identifier") or "",
        "DinhDanhCHS": identities(applicant),
        "Email": applicant.get("email") or "",
        "SoDienThoai": applicant.get("phone") or "",
        "TrichYeuHoSo": f"{procedure['name']} - {name}",
        "NgayNopHoSo": _national(manifest.get("submitted_at") or manifest.get("received_at")),
        "NgayTiepNhan": _national(manifest.get("received_at")),
        "NgayHenTra": _day(manifest.get("due_on"), closes),
        "TrangThaiHoSo": NEW,
        "DonViXuLy": procedure.get("agency_name") or procedure.get("agency_code") or "",
        "NoiNopHoSo": SUBMITTED_ELSEWHERE,
        "HoSoCoThanhPhanSoHoa": "1" if taken else "0",
        "TaiKhoanDuocXacThucVoiVNeID": "1" if applicant.get("vneid_verified") is True else "0",
        # Paid through this portal's payment providers: the agency's gateway, not the national portal.
        "DuocThanhToanTrucTuyen": PAID_ON_GATEWAY if manifest.get("payments") else NOT_PAID_ONLINE,
        "TaiLieuNop": taken,
        "DanhSachLePhi": listed_fees,
    }


def progress(manifest: dict[str, Any], kind: str) -> dict[str, str]:
    """The CapNhatTienDoHoSoMC record of a status change the portal sends: the applicant's
    supplement (the dossier stays at 5 until the agency resumes) or withdrawal (7)."""
    applicant = manifest.get("applicant") or {}
    who = applicant.get("name") or "Chủ hồ sơ"
    if kind == "supplement":
        supplement = manifest["supplement"]
        status, at = SUPPLEMENT_REQUESTED, supplement.get("submitted_at")
        what = f"Công dân nộp bổ sung hồ sơ lần {supplement['number']}"
    elif kind == "withdrawal":
        status, at = WITHDRAWN, manifest.get("requested_at")
        what = "Công dân yêu cầu rút hồ sơ"
        if manifest.get("reason"):
            what += f": {manifest['reason']}"
    else:
        raise ValueError(f"no progress record for {kind} packages")
    return {
        "MaHoSo": manifest["dossier_code"],
        "NguoiXuLy": who,
        "ChucDanh": "",
        "ThoiDiemXuLy": _national(at),
        "PhongBanXuLy": "",
        "NoiDungXuLy": what,
        "TrangThai": status,
        "NgayBatDau": "",
        "NgayKetThucTheoQuyDinh": "",
    }


def envelope(package: DossierPackage, link: Linker, *, closes: str = END_OF_OFFICE_DAY) -> dict[str, Any]:
    """The body the national portal takes for this package: its service, and its record."""
    if package.kind == "submission":
        # Each package is sent once (the outbox, keyed): a dossier new to the portal.
        sent = record(package.manifest, link, key=package.code, closes=closes)
        return {"service": SYNC, "isUpdating": "False", "data": [sent]}
    if package.kind in ("supplement", "withdrawal"):
        return {"service": PROGRESS, "data": [progress(package.manifest, package.kind)]}
    raise DeliveryRefused(f"the dvcqg adapter does not send {package.kind} packages")


def _closes() -> str:
    """The end of the office day (OPENDVC_WORKING_HOURS) as HHMMSS."""
    settings = current_app.config["OPENDVC"]
    return settings.WORKING_HOURS.split("-")[1].replace(":", "") + "00"


class DvcqgBackOffice(PostingBackOffice):
    name = "dvcqg"
    Options: ClassVar[type[BaseModel]] = TransportOptions

    def submit(self, *, package: DossierPackage) -> Delivered:
        if package.kind in ALONE:  # no national record: the package alone (module docstring)
            with package_file(package) as zipped:
                alone: list[tuple[str, str, str, Any]] = [
                    ("package", f"{package.code}.zip", "application/zip", zipped)
                ]
                body, content_type = multipart(alone)
                with body:
                    answer = self.poster.post(
                        body,
                        content_type=content_type,
                        headers={"Idempotency-Key": package.code, "X-OpenDVC-Package": package.kind},
                    )
            return Delivered(reference=reference_from(answer))
        national = envelope(package, files.links(), closes=_closes())
        data = manifest_json(national)
        headers = {"Idempotency-Key": package.code, "X-OpenDVC-Package": package.kind}
        parts: list[tuple[str, str, str, Any]] = [
            ("data", f"{national['service']}.json", "application/json", data)
        ]
        if package.kind == "withdrawal":  # no files: the record says it all
            body, content_type = multipart(parts)
            with body:
                answer = self.poster.post(body, content_type=content_type, headers=headers)
        else:
            with package_file(package) as zipped:
                body, content_type = multipart(
                    [*parts, ("package", f"{package.code}.zip", "application/zip", zipped)]
                )
                with body:
                    answer = self.poster.post(body, content_type=content_type, headers=headers)
        reference = reference_from(answer)
        try:
            error_code = str((answer.json() or {}).get("error_code", "0"))
        except (ValueError, AttributeError):
            error_code = "0"  # reference_from read it as JSON with a reference: a receipt
        if error_code != "0":
            raise DeliveryRefused(f"the national portal answered error_code {error_code}")
        return Delivered(reference=reference)
