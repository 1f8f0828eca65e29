"""A field type's drawing (app.fields.figures.Figure) in a PDF made with fpdf2: the shape, its
vertices' names, its caption, and the table of vertices."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from app.fields import Figure

DRAWING_WIDTH = 220.0  # PDF points
DRAWING_MOST_HEIGHT = 220.0
PAD = 18.0


def draw_figure(pdf: FPDF, figure: Figure, font: str = "NotoSans", indent: float = 0) -> None:
    """Draw `figure` from the current position, on a new page if the drawing does not fit."""
    points, height = figure.fitted(DRAWING_WIDTH, DRAWING_MOST_HEIGHT, PAD)
    if pdf.get_y() + height + 30 > pdf.h - pdf.b_margin:
        pdf.add_page()
    left, top = pdf.l_margin + indent, pdf.get_y() + 4
    placed = [(left + x, top + y) for x, y in points]

    pdf.set_line_width(0.6)
    pdf.set_draw_color(170)
    pdf.rect(left, top, DRAWING_WIDTH, height)  # the frame
    pdf.set_draw_color(29, 78, 137)
    pdf.set_fill_color(221, 230, 240)
    pdf.set_line_width(1.2)
    pdf.polygon(placed, style="DF")
    pdf.set_fill_color(29, 78, 137)
    for x, y in placed:
        pdf.rect(x - 1.6, y - 1.6, 3.2, 3.2, style="F")
    pdf.set_font(font, "", 7.5)
    pdf.set_text_color(0)
    for (x, y), name in zip(figure.label_spots(placed, 9), figure.names, strict=True):
        width = pdf.get_string_width(name)
        pdf.text(x - width / 2, y + 2.5, name)
    pdf.set_draw_color(0)
    pdf.set_fill_color(255)
    pdf.set_line_width(0.2)

    pdf.set_y(top + height + 4)
    pdf.set_x(pdf.l_margin + indent)
    pdf.set_font(font, "", 8.5)
    pdf.set_text_color(90)
    pdf.multi_cell(0, 12, figure.caption, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.ln(2)
    pdf.set_font(font, "", 9)
    with pdf.table(
        width=DRAWING_WIDTH + 80,
        col_widths=(1, 2, 2),
        align="LEFT",
        text_align=("LEFT", "RIGHT", "RIGHT"),
        line_height=12,
        first_row_as_headings=True,
    ) as table:
        for cells in (figure.headers, *figure.table):
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(6)
