"""The receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả) as a PDF, sealed by the portal."""

from __future__ import annotations

import io

import segno
from fpdf.enums import XPos, YPos

from app.catalog.loader import LoadedProcedure
from app.clock import VIETNAM
from app.documents.declaration import Document
from app.dossiers.models import Dossier

SEAL_FIELD = "DauCong"
SEAL_BOX_SIZE = (220, 60)


def render(
    dossier: Dossier, procedure: LoadedProcedure, tracking_url: str
) -> tuple[bytes, tuple[int, int, int, int]]:
    """The receipt and where the seal goes (x1, y1, x2, y2 on the last page, PDF points)."""
    if dossier.received_at is None or dossier.due_on is None:
        raise ValueError(f"dossier {dossier.public_id} has no receipt before it is received")
    d = procedure.definition
    received = dossier.received_at.astimezone(VIETNAM)
    pdf = Document(f"{dossier.code} · {d.agency.name.vi}")
    pdf.set_title(f"Giấy tiếp nhận hồ sơ {dossier.code}")
    pdf.set_creator("OpenDVC")
    pdf.set_creation_date(received)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.line_of(d.agency.name.vi.upper(), 11, "B", "L", 0)
    pdf.line_of("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 10, "B", "R", 0)
    pdf.line_of("Độc lập - Tự do - Hạnh phúc", 10, "B", "R", 14)
    pdf.line_of("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", 14, "B", "C", 2)
    pdf.line_of(f"Mã hồ sơ: {dossier.code}", 12, "B", "C", 12)
    pdf.pair("Thủ tục", f"{d.name.vi} ({d.code})")
    pdf.pair("Cơ quan tiếp nhận", d.agency.name.vi)
    pdf.pair(
        "Người nộp hồ sơ", " · ".join(x for x in (dossier.applicant_name, dossier.applicant_identifier) if x)
    )
    if dossier.applicant_phone or dossier.applicant_email:
        pdf.pair("Liên hệ", " · ".join(x for x in (dossier.applicant_phone, dossier.applicant_email) if x))
    pdf.pair("Thời điểm tiếp nhận", received.strftime("%H:%M ngày %d/%m/%Y"))
    pdf.pair("Ngày hẹn trả kết quả", dossier.due_on.strftime("%d/%m/%Y"))
    pdf.ln(6)
    pdf.line_of("Thành phần hồ sơ đã nhận", 11, "B", "L", 3)
    names = {c.code: c.name.vi for c in d.components}
    for number, a in enumerate(dossier.attachments, 1):
        pdf.line_of(f"{number}. {names.get(a.component_code, a.component_code)}: {a.filename}", 10)
        pdf.line_of(f"SHA-256: {a.sha256}", 8, "", "L", 3)
    pdf.ln(6)
    qr = io.BytesIO()
    segno.make(tracking_url, error="m").save(qr, kind="png", scale=4, border=2)
    top = pdf.get_y()
    pdf.image(qr, x=pdf.l_margin, y=top, w=90, h=90)
    pdf.set_xy(pdf.l_margin + 100, top + 10)
    pdf.multi_cell(0, 14, "Quét mã để tra cứu tình trạng hồ sơ.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(top + 100)
    x2 = pdf.w - pdf.r_margin
    width, height = SEAL_BOX_SIZE
    seal_top = pdf.get_y()
    box = (round(x2 - width), round(pdf.h - seal_top - height), round(x2), round(pdf.h - seal_top))
    return bytes(pdf.output()), box
