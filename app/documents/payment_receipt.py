"""The receipt of a payment (biên lai thu phí, lệ phí), in Vietnamese, as a PDF the portal
seals: who paid, for which dossier, each item, the total, how and when it was paid."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from app.clock import VIETNAM
from app.documents.declaration import Document

SEAL_FIELD = "DauCong"
SEAL_BOX_SIZE = (220, 60)
TITLE = "BIÊN LAI THU PHÍ, LỆ PHÍ"


@dataclass(frozen=True)
class ReceiptItem:
    code: str
    kind: str  # phi, le_phi
    name: str
    amount: int


@dataclass(frozen=True)
class PaymentReceipt:
    number: str  # biên lai số
    agency: str  # đơn vị thu
    dossier_code: str
    procedure: str
    payer: str
    items: tuple[ReceiptItem, ...]
    amount: int
    provider: str  # hình thức thanh toán
    transaction: str  # the provider's transaction number
    reference: str  # ours
    paid_at: datetime


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def render(receipt: PaymentReceipt) -> tuple[bytes, tuple[int, int, int, int]]:
    """The receipt, A4, and where the seal goes (x1, y1, x2, y2 on the last page, PDF points)."""
    pdf = Document(f"{receipt.number} · {receipt.dossier_code}")
    pdf.set_title(f"Biên lai {receipt.number}")
    pdf.set_creator("OpenDVC")
    pdf.set_creation_date(receipt.paid_at)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.line_of(receipt.agency.upper(), 10, "B", "L", 0)
    pdf.line_of("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 10, "B", "R", 0)
    pdf.line_of("Độc lập - Tự do - Hạnh phúc", 10, "B", "R", 12)
    pdf.line_of(TITLE, 14, "B", "C", 0)
    pdf.line_of(f"Số: {receipt.number}", 11, "B", "C", 12)
    pdf.pair("Người nộp", receipt.payer or "—")
    pdf.pair("Mã hồ sơ", receipt.dossier_code)
    pdf.pair("Thủ tục", receipt.procedure)
    for number, item in enumerate(receipt.items, 1):
        kind = "Lệ phí" if item.kind == "le_phi" else "Phí"
        pdf.pair(f"{number}. {kind} {item.code}", f"{item.name}: {_vnd(item.amount)}", indent=12)
    pdf.pair("Tổng số tiền", _vnd(receipt.amount))
    pdf.pair("Hình thức thanh toán", receipt.provider)
    pdf.pair("Mã giao dịch", f"{receipt.transaction} ({receipt.reference})")
    pdf.pair("Thời điểm thanh toán", receipt.paid_at.astimezone(VIETNAM).strftime("%H:%M ngày %d/%m/%Y"))
    pdf.ln(12)
    x1 = int(pdf.w - pdf.r_margin - SEAL_BOX_SIZE[0])
    top = pdf.h - pdf.get_y()  # PDF points from the bottom
    box = (x1, int(top - SEAL_BOX_SIZE[1]), x1 + SEAL_BOX_SIZE[0], int(top))
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue(), box
