"""The dossier manifest (XML), sealed by the portal as XAdES-BES with endesive.

Deterministic: the seal's signing time is the dossier's reception time and its id is derived
from the dossier code, and RSA PKCS#1 v1.5 signatures do not vary, so the same dossier gives
the same bytes. Element names follow the national portal's (MaHoSo, MaTTHC, …) where one exists.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from endesive.xades import BES
from lxml import etree
from lxml.builder import ElementMaker

from app.clock import VIETNAM
from app.packaging.inputs import PackageInputs, PaymentFacts
from app.signing.keys import LoadedKeySigner

NAMESPACE = "urn:opendvc:dossier-manifest:1"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
E = ElementMaker(namespace=NAMESPACE, nsmap={None: NAMESPACE})


def _when(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S") if moment else ""


def _paid(paid: PaymentFacts) -> etree._Element:
    """A paid payment: the charge it paid, its items (as DanhSachLePhi names them), how, when,
    and its receipt (BienLai: number and sha256, sealed here with the rest)."""
    return E.ThanhToan(
        E.LanThanhToan(str(paid.charge)),
        E.DanhSachLePhi(
            *[
                E.LePhi(
                    E.MaPhiLePhi(item.code or ""),
                    E.TenPhiLePhi(item.name),
                    E.LoaiPhiLePhi(item.kind),
                    E.Gia(str(item.amount)),
                )
                for item in paid.items
            ]
        ),
        E.SoTien(str(paid.amount)),
        E.HinhThucThanhToan(paid.provider),
        E.MaGiaoDich(paid.transaction or ""),
        E.MaThamChieu(paid.reference),
        E.ThoiDiemThanhToan(_when(paid.paid_at)),
        E.BienLai(
            E.SoBienLai(paid.receipt_number),
            E.SHA256(paid.receipt_sha256),
            E.KichThuoc(str(paid.receipt_size)),
        ),
    )


def build(inputs: PackageInputs, *, manifest_json_sha256: str, signature_sha256: str | None = None) -> bytes:
    """The manifest of a dossier's package, of one of its supplements' (its files, LanBoSung),
    or of a request to withdraw it (RutHoSo), or of a rating of the service (DanhGiaHaiLong), or
    of the payment of a charge (ThanhToanLePhi); each lists the paid payments (DanhSachThanhToan)."""
    p = inputs.procedure
    names = p.component_names
    supplement = inputs.supplement.number if inputs.supplement is not None else None
    told = inputs.payment
    withdrawal = inputs.withdrawal
    rating = inputs.rating
    root = E.HoSo(
        E.MaHoSo(inputs.dossier_code or ""),
        E.MaTTHC(p.code),
        E.TenTTHC(p.name),
        E.PhienBanThuTuc(p.version),
        E.MaCoQuan(p.agency_code),
        E.ChuHoSo(inputs.applicant.name or ""),
        E.MaDoiTuong(inputs.applicant.identifier or ""),
        E.LoaiChuHoSo(inputs.applicant.kind or ""),
        E.NgayTiepNhan(_when(inputs.received_at)),
        E.NgayHenTra(inputs.due_on.strftime("%Y%m%d") if inputs.due_on else ""),
        E.TaiLieuNop(
            *[
                E.TepDinhKem(
                    E.MaThanhPhanHoSo(a.component_code),
                    E.TenThanhPhanHoSo(names.get(a.component_code, "")),
                    E.TenTepDinhKem(a.filename),
                    E.KieuTep(a.media_type),
                    E.KichThuoc(str(a.size)),
                    E.SHA256(a.sha256),
                )
                for a in inputs.files
            ]
        ),
        E.DanhSachLePhi(
            *[
                E.LePhi(
                    E.MaPhiLePhi(fee.code or ""),
                    E.TenPhiLePhi(fee.name),
                    E.LoaiPhiLePhi(fee.kind),
                    E.Gia("" if fee.amount is None else str(fee.amount)),  # empty: fixed later by decision
                )
                for fee in p.fees
            ]
        ),
        *([E.LanBoSung(str(supplement))] if supplement else []),
        *(
            [E.RutHoSo(E.ThoiDiemYeuCau(_when(withdrawal.requested_at)), E.LyDo(withdrawal.reason or ""))]
            if withdrawal is not None
            else []
        ),
        *(
            [
                E.DanhGiaHaiLong(
                    E.LanDanhGia(str(rating.number)),
                    E.MucDoHaiLong(str(rating.score)),
                    E.KenhDanhGia(rating.channel),
                    E.ThoiDiemDanhGia(_when(rating.rated_at)),
                )
            ]
            if rating is not None
            else []
        ),
        # Only when something was paid: a package made before payments existed reads the same.
        *([E.DanhSachThanhToan(*[_paid(paid) for paid in inputs.payments])] if inputs.payments else []),
        *([E.ThanhToanLePhi(E.LanThanhToan(str(told.charge)))] if told is not None else []),
        E.DonDeNghiDaKy(E.SHA256(signature_sha256 or "")),
        E.ManifestJSON(E.SHA256(manifest_json_sha256)),  # the seal covers manifest.json too
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def seal(xml: bytes, signer: LoadedKeySigner, *, moment: datetime, package_key: str) -> bytes:
    """Envelop the manifest in a XAdES-BES signature made with the portal's seal key."""
    key = signer.private_key
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("the XAdES seal needs an RSA key")
    if signer.signing_cert is None:
        raise ValueError("the seal key has no certificate")
    der = signer.signing_cert.dump()
    bes = BES()
    bes.time = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    bes.guid = str(uuid.UUID(bytes=hashlib.sha256(package_key.encode()).digest()[:16]))

    def sign(data: bytes, algorithm: str) -> bytes:
        assert algorithm == "sha256"
        return key.sign(data, PKCS1v15(), hashes.SHA256())

    tree = bes.enveloped(xml, x509.load_der_x509_certificate(der), der, sign, None, None)
    # The issuing chain beside the seal's certificate, so that a verifier needs only the root.
    # KeyInfo is outside what is signed: adding certificates changes nothing the seal covers.
    x509_data = tree.find(f".//{{{DSIG}}}KeyInfo/{{{DSIG}}}X509Data")
    for cert in signer.cert_registry:
        if cert.dump() != der:
            element = etree.SubElement(x509_data, f"{{{DSIG}}}X509Certificate")
            element.text = base64.b64encode(cert.dump()).decode()
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
