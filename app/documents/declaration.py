"""The declaration (tờ khai / đơn đề nghị) as a PDF, in Vietnamese, from a dossier's answers.

The same dossier with the same answers and documents gives the same bytes: the only date in
it is the day of its last change, and fpdf2's creation date is set to that same day. The hash of
the unsigned declaration can therefore be recorded and checked again later.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, time

from flask_babel import force_locale
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from app.catalog.fees import kind_label
from app.catalog.loader import LoadedProcedure
from app.clock import VIETNAM
from app.documents.figures import draw_figure
from app.documents.typefaces import FONTS, add_font
from app.dossiers.models import Dossier
from app.dossiers.needs import facts_of
from app.forms.answers import sections
from app.forms.components import slots
from app.i18n import formal_day

# Where the applicant's signature is drawn: the lower right of the last page, in PDF points.
SIGNATURE_WIDTH, SIGNATURE_HEIGHT = 220, 70
FIELD_NAME = "ChuKyNguoiNop"  # the applicant's signature field


FOOTER_TOP = 40  # PDF points from the bottom of the page: the footer ("Trang n/m") lies below


@dataclass(frozen=True)
class Declaration:
    pdf: bytes
    signature_box: tuple[int, int, int, int]  # x1, y1, x2, y2 on the last page, PDF points
    pages: int
    page_width: float  # PDF points
    content: str = ""  # content_key of what it was rendered from ("" when not known)

    @property
    def signature_area(self) -> tuple[float, float, float, float]:
        """Where a signature's appearance may be drawn on the last page: the blank space from
        the top of the signature box down to the footer, the page's whole width."""
        return (0, FOOTER_TOP, self.page_width, self.signature_box[3])


class Document(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4", unit="pt")
        self.footer_text = footer_text
        add_font(self, "NotoSans", "", FONTS / "NotoSans-Regular.ttf")
        add_font(self, "NotoSans", "B", FONTS / "NotoSans-Bold.ttf")
        self.set_margins(56, 48, 56)
        self.set_auto_page_break(True, margin=56)

    def footer(self) -> None:
        self.set_y(-FOOTER_TOP)
        self.set_font("NotoSans", "", 8)
        self.set_text_color(90)
        self.cell(0, 12, f"{self.footer_text} · Trang {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def line_of(
        self, text: str, size: float = 10.5, style: str = "", align: str = "L", gap: float = 2
    ) -> None:
        self.set_font("NotoSans", style, size)
        self.multi_cell(0, size * 1.45, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(gap)

    def pair(self, label: str, value: str, indent: float = 0) -> None:
        """The label in bold, then the answer as typed: never read as markup.

        A word of the answer (a number such as "12,5") is never split: when the first one
        does not fit after the label, the answer starts on the next line. (fpdf2 breaks lines
        at spaces within one write, and anywhere when a write starts mid-line with a word
        too long for what is left of the line.)"""
        self.set_x(self.l_margin + indent)
        self.set_font("NotoSans", "B", 10.5)
        self.write(15, f"{label}: ")
        self.set_font("NotoSans", "", 10.5)
        text = value or "—"
        first = text.split(maxsplit=1)[0] if text.strip() else text
        left = self.w - self.r_margin - self.get_x()
        if self.get_string_width(first) > left:
            self.ln(15)
            self.set_x(self.l_margin + indent)
        self.write(15, text)
        self.ln(16)


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def prepared_on(dossier: Dossier) -> datetime:
    """The day of the last change to the answers or the documents, in Viet Nam."""
    # created_at comes from the database (server default): None until the row is flushed.
    moments: list[datetime | None] = [
        dossier.content_changed_at or dossier.created_at,
        *(a.created_at for a in dossier.attachments),
    ]
    latest = max(m for m in moments if m is not None).astimezone(VIETNAM)
    return datetime.combine(latest.date(), time(0, 0), tzinfo=VIETNAM)


def content_key(dossier: Dossier, procedure: LoadedProcedure, prepared: datetime) -> str:
    """Everything `render` reads, as one sha256: the same key, the same bytes. The pinned
    definition is named by its version (the sha256 of its file)."""
    content = {
        "procedure": procedure.version,
        "prepared": prepared.isoformat(),
        "answers": dossier.answers,
        "attachments": [
            [a.component_code, a.entry, a.filename, a.size, a.sha256] for a in dossier.attachments
        ],
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


KEPT = 64  # declarations kept per process, the most recently used (a few MB at most)
_kept: OrderedDict[str, Declaration] = OrderedDict()
_kept_lock = threading.Lock()


def key_now(dossier: Dossier, procedure: LoadedProcedure) -> str:
    """The content key of the declaration as it would read now, without rendering it."""
    return content_key(dossier, procedure, prepared_on(dossier))


def rendered(dossier: Dossier, procedure: LoadedProcedure) -> Declaration:
    """The dossier's declaration as it reads now, rendered once per content: the page that
    offers it, the signature and the submission's check that the signature covers it all ask
    for it, and its bytes depend on nothing but `content_key`."""
    day = prepared_on(dossier)
    key = content_key(dossier, procedure, day)
    with _kept_lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    made = replace(render(dossier, procedure, prepared=day), content=key)
    with _kept_lock:
        _kept[key] = made
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return made


def render(dossier: Dossier, procedure: LoadedProcedure, *, prepared: datetime | None = None) -> Declaration:
    """The declaration, always in Vietnamese: it goes to a Vietnamese agency.
    (`rendered` renders it once per content.)"""
    d = procedure.definition
    day = prepared or prepared_on(dossier)
    with force_locale("vi"):
        parts = sections(procedure, dossier.answers)
        facts = facts_of(d, dossier.answers)
        explanations = [due.explanation() for due in facts.fees]
        band_kinds = [kind_label(due.fee.kind) for due in facts.fees]
        wanted = slots(d, dossier.answers)
    pdf = Document(f"{d.code} · {d.name.vi}")
    pdf.set_title(f"Đơn đề nghị: {d.name.vi}")
    pdf.set_author(d.agency.name.vi)
    pdf.set_creator("OpenDVC")
    pdf.set_creation_date(day)
    pdf.alias_nb_pages()
    pdf.add_page()

    pdf.line_of("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 11, "B", "C", 0)
    pdf.line_of("Độc lập - Tự do - Hạnh phúc", 11, "B", "C", 14)
    pdf.line_of("ĐƠN ĐỀ NGHỊ", 15, "B", "C", 0)
    pdf.line_of(d.name.vi, 12, "B", "C", 4)
    pdf.line_of(f"Mã thủ tục: {d.code}", 9.5, "", "C", 12)
    pdf.line_of(f"Kính gửi: {d.agency.name.vi}", 11, "B", "L", 10)

    for part in parts:
        pdf.line_of(f"{part.index + 1}. {part.step.title.vi}", 11.5, "B", "L", 3)
        for row in part.rows:
            if row.group_rows is None:
                pdf.pair(row.spec.label.vi, row.shown)
                if row.figure is not None:
                    draw_figure(pdf, row.figure)
                continue
            pdf.pair(row.spec.label.vi, "" if row.group_rows else "—")
            for number, entry in enumerate(row.group_rows, 1):
                pdf.line_of(f"{number}.", 10.5, "B", "L", 0)
                for label, value in entry:
                    pdf.pair(label, value, indent=16)
        pdf.ln(6)

    number = len(parts) + 1
    if facts.case is not None or facts.submitter is not None or facts.co_applicants:
        pdf.line_of(f"{number}. Trường hợp và người nộp hồ sơ", 11.5, "B", "L", 3)
        if facts.case is not None:
            pdf.pair("Trường hợp", facts.case.name.vi)
            unit = "ngày" if facts.processing_unit == "calendar_days" else "ngày làm việc"
            pdf.pair("Thời hạn giải quyết", f"{facts.processing_days} {unit}")
        if facts.submitter is not None:
            who = facts.submitter["name"] or ""
            if facts.submitter["identifier"]:
                who += f" ({facts.submitter['identifier']})"
            pdf.pair("Người được ủy quyền nộp hồ sơ", who)
        for index, person in enumerate(facts.co_applicants, 1):
            who = (person["name"] or "") + (f" ({person['identifier']})" if person["identifier"] else "")
            pdf.pair(f"Thành viên liên danh {index}", who)
        pdf.ln(6)
        number += 1
    if facts.fees:
        pdf.line_of(f"{number}. Phí, lệ phí phải nộp", 11.5, "B", "L", 3)
        for due, how, kind in zip(facts.fees, explanations, band_kinds, strict=True):
            code = f" ({due.fee.code})" if due.fee.code else ""
            amount = "theo quyết định của cơ quan có thẩm quyền" if due.amount is None else _vnd(due.amount)
            pdf.pair(f"{kind}: {due.fee.name.vi}{code}", f"{amount} — {how}")
        pdf.pair("Tổng số tiền đã xác định", _vnd(facts.known_total))
        pdf.ln(6)
        number += 1
    pdf.line_of(f"{number}. Thành phần hồ sơ kèm theo", 11.5, "B", "L", 3)
    names = {c.code: c.name.vi for c in d.components}
    if not dossier.attachments:
        pdf.line_of("Không có tệp đính kèm.")
    for number, a in enumerate(dossier.attachments, 1):
        size = f"{a.size:,}".replace(",", ".")  # Vietnamese thousands separator
        slot = next((s for s in wanted if s.holds(a)), None)  # a document per entry names its entry
        name = slot.name("vi") if slot is not None else names.get(a.component_code, a.component_code)
        pdf.line_of(f"{number}. {name}: {a.filename} ({size} byte)")
        pdf.line_of(f"SHA-256: {a.sha256}", 8.5, "", "L", 4)
    pdf.ln(8)
    pdf.line_of(
        "Tôi xin cam đoan những thông tin kê khai trên là đúng sự thật và chịu trách nhiệm trước pháp luật "
        "về tính chính xác, trung thực của hồ sơ."
    )
    address = dossier.answers.get(d.form.applicant.address[0]) if d.form.applicant.address else None
    place = (address or {}).get("province") or ""
    dated = f"{place + ', ' if place else ''}{formal_day(day)}"
    needed = SIGNATURE_HEIGHT + 40
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(6)
    pdf.line_of(dated, 10.5, "", "R", 2)
    pdf.line_of("NGƯỜI ĐỀ NGHỊ (ký số)", 10.5, "B", "R", 4)
    top = pdf.get_y()
    x2 = pdf.w - pdf.r_margin
    box = (round(x2 - SIGNATURE_WIDTH), round(pdf.h - top - SIGNATURE_HEIGHT), round(x2), round(pdf.h - top))
    return Declaration(bytes(pdf.output()), box, pdf.page_no(), pdf.w)
