"""The portal's fonts, read and measured once per process for every PDF it renders.

fpdf2's `add_font` reads the whole TrueType file with fontTools for each document: the character
map and the widths of every glyph (~40 ms for Noto Sans), the same for every declaration and
receipt. Here that work is done once per font file; each document gets its own copy of what a
document changes (the subset of glyphs it uses, the glyphs it misses, its font number) and its
own fontTools font, opened lazily from the bytes in memory, because fpdf2 subsets that one in
place when it writes the PDF. The bytes written are those `add_font` would give
(tests/documents/test_typefaces.py compares them).
"""

from __future__ import annotations

import threading
from functools import cache
from io import BytesIO
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import TextEmphasis
from fpdf.fonts import SubsetMap, TTFFont

FONTS = Path(__file__).parent / "fonts"
_lock = threading.Lock()


# The tables fpdf2 drops when it subsets a font for a PDF (fpdf/output.py, _add_fonts): dropped
# once here, so that no document decompiles Noto Sans's layout tables only to throw them away.
DROPPED = (
    *("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix"),
    *("CBDT", "CBLC", "EBDT", "EBLC", "EBSC", "SVG ", "CPAL", "COLR"),
)


@cache
def _file(path: Path) -> bytes:
    with ttLib.TTFont(BytesIO(path.read_bytes()), recalcTimestamp=False, lazy=True) as font:
        for tag in DROPPED:
            if tag in font:
                del font[tag]
        out = BytesIO()
        font.save(out)
    return out.getvalue()


def _measured(path: Path) -> TTFFont:
    """The font as fpdf2 reads it, kept for its measures (widths, character map, descriptor):
    never added to a document itself."""
    with _lock:  # two first documents at once in two threads parse it once
        _file(path)
        return _measured_once(path)


@cache
def _measured_once(path: Path) -> TTFFont:
    font = TTFFont(FPDF(), path, "template", "")
    font.close()  # its own fontTools font is never written: each document opens a fresh one
    return font


def add_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """`pdf.add_font(family, style, path)` for a TrueType font without colour glyphs, from the
    measures read once per process."""
    template = _measured(path)
    font = TTFFont.__new__(TTFFont)
    for name in TTFFont.__slots__:
        if hasattr(template, name):
            setattr(font, name, getattr(template, name))
    # What one document changes, its own: fpdf2 subsets its fontTools font in place on output.
    font.i = len(pdf.fonts) + 1
    font.fontkey = f"{family.lower()}{style}"
    font.emphasis = TextEmphasis.coerce(style)
    font.ttfont = ttLib.TTFont(BytesIO(_file(path)), recalcTimestamp=False, lazy=True)
    font._hbfont = None
    font.biggest_size_pt = 0
    font.missing_glyphs = []
    font.color_font = None
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font
