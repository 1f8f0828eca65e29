"""The receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả, form 01 of Circular 01/2018/TT-VPCP)
issued when the agency accepts a dossier, as a PDF the portal seals, and the same facts for the
printable page (A4, and 80 mm for the kiosk's thermal printer).

It carries every element of the form: the receiving unit, the applicant with address, phone
and email, the procedure (nội dung yêu cầu giải quyết), the dossier code, each document
received with its form (original or copy) and number of copies, the signed declaration
included, the number of dossier sets, the processing time, when it was received, the promised
date, and where and how the result is returned. In the dossier's language: Vietnamese, or
English with the form's Vietnamese title.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

import segno
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from fpdf.enums import XPos, YPos

from app.catalog.cases import processing_time
from app.catalog.loader import LoadedProcedure
from app.clock import VIETNAM
from app.documents.declaration import Document
from app.dossiers.models import Dossier
from app.dossiers.records import applicant_of
from app.dossiers.status import Status
from app.forms.components import slots

SEAL_FIELD = "DauCong"
SEAL_BOX_SIZE = (220, 60)
TITLE_VI = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"


@dataclass(frozen=True)
class ReceivedDocument:
    name: str
    form: str  # bản chính / bản sao, electronic
    copies: int
    files: tuple[str, ...]


@dataclass(frozen=True)
class ReceiptFacts:
    locale: str
    code: str
    agency: str
    applicant: str
    identifier: str | None
    address: str | None
    phone: str | None
    email: str | None
    procedure: str
    documents: tuple[ReceivedDocument, ...]
    sets: int  # số lượng hồ sơ (bộ)
    processing_time: str
    received_at: datetime  # Viet Nam time
    accepted_at: datetime | None
    promised_on: date
    returned: str  # where and how the result is returned
    tracking_url: str


def _form_of(original: bool) -> str:
    return _("Original (electronic)") if original else _("Copy (electronic)")


def facts(
    dossier: Dossier, procedure: LoadedProcedure, tracking_url: str, *, signed: bool, locale: str
) -> ReceiptFacts:
    """The receipt's contents in `locale`. `signed`: the declaration was signed by the applicant."""
    if dossier.received_at is None or dossier.due_on is None or dossier.code is None:
        raise ValueError(f"dossier {dossier.public_id} has no receipt before it is received")
    d = procedure.definition
    with force_locale(locale):
        documents = []
        if signed:
            documents.append(
                ReceivedDocument(
                    _("Declaration (application form), signed by the applicant"),
                    _("Original (electronic, digitally signed)"),
                    1,
                    ("don-de-nghi-da-ky.pdf",),
                )
            )
        for slot in slots(d, dossier.answers):  # a document per entry says whose it is
            files = tuple(a.filename for a in dossier.attachments if slot.holds(a))
            if files:
                c = slot.component
                documents.append(ReceivedDocument(slot.name(locale), _form_of(c.original), c.copies, files))
        days, unit = processing_time(d, dossier.answers)  # the chosen case's (trường hợp)
        if unit == "calendar_days":
            time = ngettext("%(num)d day", "%(num)d days", days)
        else:
            time = ngettext("%(num)d working day", "%(num)d working days", days)
        agency = d.agency.name.get(locale)
        returned = _(
            "Online: the result is offered for download on the tracking page of the public service "
            "portal (%(url)s), and the applicant is told when it is ready; or at the one-stop-shop "
            "(reception and result desk) of %(agency)s.",
            url=tracking_url,
            agency=agency,
        )
    applicant = applicant_of(d, dossier.answers)
    accepted = [e.at for e in dossier.events if e.to_status == Status.ACCEPTED]
    return ReceiptFacts(
        locale=locale,
        code=dossier.code,
        agency=agency,
        applicant=dossier.applicant_name or applicant["name"] or "",
        identifier=dossier.applicant_identifier,
        address=applicant["address"],
        phone=dossier.applicant_phone,
        email=dossier.applicant_email,
        procedure=f"{d.name.get(locale)} ({d.code})",
        documents=tuple(documents),
        sets=1,
        processing_time=time,
        received_at=dossier.received_at.astimezone(VIETNAM),
        accepted_at=accepted[-1].astimezone(VIETNAM) if accepted else None,
        promised_on=dossier.due_on,
        returned=returned,
        tracking_url=tracking_url,
    )


def _time(moment: datetime) -> str:
    return _(
        "%(hour)s:%(minute)s, %(day)s/%(month)s/%(year)s",
        hour=f"{moment.hour:02d}",
        minute=f"{moment.minute:02d}",
        day=f"{moment.day:02d}",
        month=f"{moment.month:02d}",
        year=moment.year,
    )


def render(
    dossier: Dossier, procedure: LoadedProcedure, tracking_url: str, *, signed: bool = True
) -> tuple[bytes, tuple[int, int, int, int]]:
    """The receipt in the dossier's language, A4, and where the seal goes (x1, y1, x2, y2 on
    the last page, PDF points)."""
    locale = dossier.locale if dossier.locale in ("vi", "en") else "vi"
    f = facts(dossier, procedure, tracking_url, signed=signed, locale=locale)
    d = procedure.definition
    pdf = Document(f"{f.code} · {d.agency.name.vi}")
    pdf.set_title(f"Giấy tiếp nhận hồ sơ {f.code}")
    pdf.set_creator("OpenDVC")
    pdf.set_creation_date(f.accepted_at or f.received_at)
    pdf.alias_nb_pages()
    pdf.add_page()
    with force_locale(locale):
        # The receiving unit on the left, the national motto on the right, side by side.
        top = pdf.get_y()
        half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2 - 6
        pdf.set_font("NotoSans", "B", 10)
        pdf.multi_cell(half, 14, f.agency.upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("NotoSans", "B", 9)
        pdf.multi_cell(half, 13, _("RECEPTION AND RESULT DESK"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        left_bottom = pdf.get_y()
        pdf.set_y(top)
        pdf.line_of("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 10, "B", "R", 0)
        pdf.line_of("Độc lập - Tự do - Hạnh phúc", 10, "B", "R", 0)
        pdf.set_y(max(left_bottom, pdf.get_y()) + 14)
        pdf.line_of(TITLE_VI, 14, "B", "C", 0)
        if locale != "vi":
            pdf.line_of(_("Receipt of the dossier and appointment for the result"), 11, "B", "C", 0)
        pdf.line_of(f"{_('Dossier code')}: {f.code}", 12, "B", "C", 12)
        pdf.pair(_("Receiving unit"), _("Reception and result desk of %(agency)s", agency=f.agency))
        pdf.pair(_("Dossier received from"), " · ".join(x for x in (f.applicant, f.identifier) if x))
        pdf.pair(_("Address"), f.address or "—")
        pdf.pair(_("Phone"), f.phone or "—")
        pdf.pair(_("Email"), f.email or "—")
        pdf.pair(_("Requested (procedure)"), f.procedure)
        pdf.ln(4)
        pdf.line_of(f"1. {_('Documents received')}:", 10.5, "B", "L", 3)
        for number, document in enumerate(f.documents, 1):
            copies = ngettext("%(num)d copy", "%(num)d copies", document.copies)
            pdf.line_of(f"{number}. {document.name} — {document.form} — {copies}", 10)
            pdf.line_of(", ".join(document.files), 8.5, "", "L", 3)
        pdf.ln(2)
        sets = ngettext("%(num)d set", "%(num)d sets", f.sets)
        pdf.pair(f"2. {_('Number of dossier sets')}", sets)
        pdf.pair(f"3. {_('Processing time as the rules set it')}", f.processing_time)
        pdf.pair(f"4. {_('Dossier received at')}", _time(f.received_at))
        if f.accepted_at is not None:
            pdf.pair(f"   {_('Accepted at')}", _time(f.accepted_at))
        pdf.pair(f"5. {_('Result promised on')}", f.promised_on.strftime("%d/%m/%Y"))
        pdf.pair(f"6. {_('Where and how the result is returned')}", f.returned)
        pdf.ln(6)
        qr = io.BytesIO()
        segno.make(tracking_url, error="m").save(qr, kind="png", scale=4, border=2)
        if pdf.get_y() + 100 + SEAL_BOX_SIZE[1] + 30 > pdf.h - pdf.b_margin:
            pdf.add_page()
        top = pdf.get_y()
        pdf.image(qr, x=pdf.l_margin, y=top, w=90, h=90)
        pdf.set_xy(pdf.l_margin + 100, top + 10)
        pdf.set_font("NotoSans", "", 10)
        pdf.multi_cell(0, 14, _("Scan the code to follow the dossier."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(top + 100)
        pdf.line_of(_("FOR THE RECEIVING UNIT (electronic seal of the portal)"), 9.5, "B", "R", 2)
    x2 = pdf.w - pdf.r_margin
    width, height = SEAL_BOX_SIZE
    seal_top = pdf.get_y()
    box = (round(x2 - width), round(pdf.h - seal_top - height), round(x2), round(pdf.h - seal_top))
    return bytes(pdf.output()), box
