"""The supplement declaration (đơn bổ sung hồ sơ): what the applicant signs when answering a
request for supplements. Deterministic, like the declaration: its only date is the request's."""

from __future__ import annotations

from app.catalog.loader import LoadedProcedure
from app.clock import VIETNAM
from app.documents.declaration import SIGNATURE_HEIGHT, SIGNATURE_WIDTH, Declaration, Document
from app.dossiers.models import Dossier
from app.supplements.models import Supplement


def render(dossier: Dossier, supplement: Supplement, procedure: LoadedProcedure) -> Declaration:
    d = procedure.definition
    day = supplement.requested_at.astimezone(VIETNAM)
    pdf = Document(f"{dossier.code} · Bổ sung lần {supplement.number}")
    pdf.set_title(f"Đơn bổ sung hồ sơ {dossier.code}")
    pdf.set_author(d.agency.name.vi)
    pdf.set_creator("OpenDVC")
    pdf.set_creation_date(day.replace(hour=0, minute=0, second=0, microsecond=0))
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.line_of("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 11, "B", "C", 0)
    pdf.line_of("Độc lập - Tự do - Hạnh phúc", 11, "B", "C", 14)
    pdf.line_of("ĐƠN BỔ SUNG HỒ SƠ", 15, "B", "C", 0)
    pdf.line_of(d.name.vi, 12, "B", "C", 12)
    pdf.line_of(f"Kính gửi: {d.agency.name.vi}", 11, "B", "L", 10)
    pdf.pair("Mã hồ sơ", dossier.code or "")
    pdf.pair("Lần bổ sung", str(supplement.number))
    pdf.pair("Người nộp hồ sơ", dossier.applicant_name or "")
    pdf.pair("Nội dung yêu cầu bổ sung", supplement.requested_note or "")
    pdf.ln(6)
    pdf.line_of("Tài liệu bổ sung", 11.5, "B", "L", 3)
    names = {c.code: c.name.vi for c in d.components}
    for number, f in enumerate(supplement.files, 1):
        size = f"{f.size:,}".replace(",", ".")
        pdf.line_of(f"{number}. {names.get(f.component_code, f.component_code)}: {f.filename} ({size} byte)")
        pdf.line_of(f"SHA-256: {f.sha256}", 8.5, "", "L", 4)
    pdf.ln(8)
    pdf.line_of(
        "Tôi xin cam đoan các tài liệu bổ sung trên là đúng sự thật và chịu trách nhiệm trước pháp luật."
    )
    if pdf.get_y() + SIGNATURE_HEIGHT + 40 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(6)
    pdf.line_of(f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}", 10.5, "", "R", 2)
    pdf.line_of("NGƯỜI NỘP HỒ SƠ (ký số)", 10.5, "B", "R", 4)
    top = pdf.get_y()
    x2 = pdf.w - pdf.r_margin
    box = (round(x2 - SIGNATURE_WIDTH), round(pdf.h - top - SIGNATURE_HEIGHT), round(x2), round(pdf.h - top))
    return Declaration(bytes(pdf.output()), box, pdf.page_no(), pdf.w)
