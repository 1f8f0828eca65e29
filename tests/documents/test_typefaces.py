"""The fonts read once per process write the same PDF as fpdf2's own `add_font`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

from app.documents.typefaces import FONTS, add_font

REGULAR, BOLD = FONTS / "NotoSans-Regular.ttf", FONTS / "NotoSans-Bold.ttf"


def written(adding, lines: list[str]) -> bytes:
    pdf = FPDF(unit="pt")
    pdf.set_creation_date(datetime(2026, 1, 2, tzinfo=UTC))
    adding(pdf, "NotoSans", "", REGULAR)
    adding(pdf, "NotoSans", "B", BOLD)
    pdf.add_page()
    for i, line in enumerate(lines):
        pdf.set_font("NotoSans", "B" if i % 2 else "", 11)
        pdf.multi_cell(0, 16, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def fpdf_add_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    pdf.add_font(family, style, path)


def test_each_document_writes_what_fpdf2_would():
    first = ["Tôi xin cam đoan những thông tin kê khai trên là đúng sự thật.", "Nguyễn Thị Thu Hà"]
    # different text next, so a subset left over from the first document would show
    second = ["Ωμέγα Ж ĂÂĐÊÔƠƯ ặẫđềổờữ 0123456789", "Kính gửi: Sở Tài nguyên và Môi trường"]
    for lines in (first, second, first):
        assert written(add_font, lines) == written(fpdf_add_font, lines)


def test_a_glyph_the_font_lacks_is_reported_per_document(caplog):
    written(add_font, ["中文"])
    assert "missing the following glyphs" in caplog.text
    caplog.clear()
    written(add_font, ["Tiếng Việt"])
    assert "missing" not in caplog.text
