"""The electronic receipt of fees and charges (biên lai thu phí, lệ phí điện tử), in Vietnamese,
A4, as a PDF the portal seals.

It carries what Decree 11/2020/NĐ-CP and Decree 123/2020/NĐ-CP (art. 32) with Circular
78/2021/TT-BTC ask of a receipt of phí and lệ phí:
  - its name, its form (mẫu số) and symbol (ký hiệu) and its number (số: seven digits);
  - the collecting unit (đơn vị thu: the agency that asked for the fees, with its code);
  - the payer (người nộp): name, identifier (số định danh cá nhân or mã số thuế) and address;
  - what it is for: the dossier code (mã hồ sơ) and the procedure, with its code;
  - each item: phí or lệ phí, its code (mã phí, lệ phí), its name, its amount;
  - the total in figures and in words (số tiền bằng chữ, app/documents/words.py);
  - how it was paid (hình thức thanh toán: the provider, its transaction number, our reference);
  - when it was paid, and the day it was made out (ngày lập);
  - the collecting unit's digital signature: the portal's seal (the box on the page).

The form and symbol are our reading of Circular 78/2021 for a receipt without a printed face
value made out electronically: form 01BLP0-001 (01: receipt of fees and charges, BLP: biên lai
phí, 0: no printed face value, 001: the first form), symbol AA-<yy>E (E: electronic, yy: the
year it is made out).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from app.clock import VIETNAM
from app.documents.declaration import Document
from app.documents.words import vnd_in_words

SEAL_FIELD = "DauCong"
SEAL_BOX_SIZE = (220, 60)
TITLE = "BIÊN LAI THU PHÍ, LỆ PHÍ"
FORM = "01BLP0-001"  # mẫu số
KINDS = {"phi": "Phí", "le_phi": "Lệ phí"}


def symbol_for(moment: datetime) -> str:
    """Ký hiệu: AA-<yy>E, the year (in Vietnam) the receipt is made out."""
    return f"AA-{moment.astimezone(VIETNAM):%y}E"


@dataclass(frozen=True)
class ReceiptItem:
    code: str
    kind: str  # phi, le_phi
    name: str
    amount: int


@dataclass(frozen=True)
class PaymentReceipt:
    number: str  # số biên lai
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
    agency_code: str = ""  # mã cơ quan
    procedure_code: str = ""  # mã thủ tục
    payer_identifier: str = ""  # số định danh cá nhân, or mã số thuế
    payer_address: str = ""
    form: str = FORM
    symbol: str = ""  # ký hiệu; symbol_for(paid_at) when empty

    @property
    def series(self) -> str:
        return self.symbol or symbol_for(self.paid_at)


def figures(amount: int) -> str:
    """1.005.000: thousands grouped with dots, as Vietnamese writes amounts."""
    return f"{amount:,}".replace(",", ".")


def vnd(amount: int) -> str:
    return f"{figures(amount)} đồng"


def _moment(moment: datetime) -> str:
    local = moment.astimezone(VIETNAM)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d} tháng {local:%m} năm {local.year}"


def _items(pdf: Document, items: tuple[ReceiptItem, ...], total: int) -> None:
    """The table of items: STT, loại, mã, tên, số tiền, then the total."""
    pdf.set_font("NotoSans", "", 9.5)
    pdf.set_draw_color(120)
    with pdf.table(
        col_widths=(8, 14, 20, 52, 26),
        text_align=("CENTER", "LEFT", "LEFT", "LEFT", "RIGHT"),
        line_height=14,
        headings_style=FontFace(emphasis="BOLD"),
        first_row_as_headings=True,
    ) as table:
        table.row(("STT", "Loại", "Mã", "Tên phí, lệ phí", "Số tiền (đồng)"))
        for number, item in enumerate(items, 1):
            table.row(
                (
                    str(number),
                    KINDS.get(item.kind, item.kind),
                    item.code or "—",
                    item.name,
                    figures(item.amount),
                )
            )
        last = table.row()
        last.cell("Tổng cộng", colspan=4, align="RIGHT", style=FontFace(emphasis="BOLD"))
        last.cell(figures(total), style=FontFace(emphasis="BOLD"))
    pdf.ln(10)


def render(receipt: PaymentReceipt) -> tuple[bytes, tuple[int, int, int, int]]:
    """The receipt, A4, and where the seal goes (x1, y1, x2, y2 on the last page, PDF points)."""
    pdf = Document(f"Biên lai {receipt.series} số {receipt.number} · {receipt.dossier_code}")
    pdf.set_title(f"Biên lai thu phí, lệ phí {receipt.series} số {receipt.number}")
    pdf.set_creator("OpenDVC")
    pdf.set_creation_date(receipt.paid_at)
    pdf.alias_nb_pages()
    pdf.add_page()
    top = pdf.get_y()
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.set_font("NotoSans", "B", 10)
    pdf.multi_cell(half, 14, receipt.agency.upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if receipt.agency_code:
        pdf.set_font("NotoSans", "", 9)
        pdf.multi_cell(half, 13, f"Mã cơ quan: {receipt.agency_code}", align="C")
    left_end = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.set_font("NotoSans", "B", 10)
    pdf.multi_cell(
        half, 14, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT
    )
    pdf.multi_cell(half, 14, "Độc lập - Tự do - Hạnh phúc", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_end, pdf.get_y()) + 14)
    pdf.line_of(TITLE, 15, "B", "C", 0)
    pdf.line_of("(Biên lai điện tử)", 9.5, "", "C", 6)
    pdf.line_of(
        f"Mẫu số: {receipt.form}    Ký hiệu: {receipt.series}    Số: {receipt.number}", 10.5, "B", "C", 10
    )
    pdf.pair("Đơn vị thu", receipt.agency)
    pdf.pair("Người nộp", receipt.payer or "—")
    pdf.pair("Số định danh / Mã số thuế", receipt.payer_identifier or "—")
    pdf.pair("Địa chỉ", receipt.payer_address or "—")
    pdf.pair("Mã hồ sơ", receipt.dossier_code)
    procedure = (
        f"{receipt.procedure} ({receipt.procedure_code})" if receipt.procedure_code else receipt.procedure
    )
    pdf.pair("Thủ tục hành chính", procedure)
    pdf.ln(4)
    _items(pdf, receipt.items, receipt.amount)
    pdf.pair("Tổng số tiền", vnd(receipt.amount))
    pdf.pair("Số tiền bằng chữ", vnd_in_words(receipt.amount))
    pdf.pair("Hình thức thanh toán", f"Thanh toán trực tuyến qua {receipt.provider}")
    pdf.pair("Mã giao dịch", receipt.transaction or "—")
    pdf.pair("Mã tham chiếu", receipt.reference)
    pdf.pair("Thời điểm thanh toán", _moment(receipt.paid_at))
    made = receipt.paid_at.astimezone(VIETNAM)
    pdf.ln(6)
    pdf.line_of(f"Ngày {made:%d} tháng {made:%m} năm {made.year}", 10.5, "", "R", 2)
    pdf.line_of("ĐƠN VỊ THU (ký số)", 10.5, "B", "R", 4)
    if pdf.get_y() + SEAL_BOX_SIZE[1] > pdf.h - pdf.b_margin:
        pdf.add_page()
    x1 = int(pdf.w - pdf.r_margin - SEAL_BOX_SIZE[0])
    top_of_box = pdf.h - pdf.get_y()  # PDF points from the bottom
    box = (x1, int(top_of_box - SEAL_BOX_SIZE[1]), x1 + SEAL_BOX_SIZE[0], int(top_of_box))
    pdf.set_y(pdf.get_y() + SEAL_BOX_SIZE[1] + 8)
    pdf.line_of(
        "Biên lai điện tử có chữ ký số của đơn vị thu (dấu của Cổng dịch vụ công); "
        "mã hồ sơ và số biên lai dùng để tra cứu.",
        8.5,
        "",
        "L",
        0,
    )
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue(), box
