"""Read QR codes the way a phone would: decoded from the image by zxing-cpp, never compared with
how the portal drew them."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader

_COMMAND = re.compile(r"([MmHhVv])\s*(-?[\d.]+)(?:[\s,]+(-?[\d.]+))?")


def _texts(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image)]


def in_svg_data_uri(uri: str, scale: int = 8) -> list[str]:
    """The QR codes in a segno-style SVG data: URI (one stroked path of M/m/h/v commands),
    rasterised here with Pillow."""
    svg = unquote(uri.split(",", 1)[1])
    width = int(re.search(r"width=['\"](\d+)", svg)[1])
    transform = re.search(r"scale\(([\d.]+)\)", svg)
    unit = float(transform[1]) if transform else 1.0
    path = re.search(r"\sd=['\"]([^'\"]+)", svg)[1]
    image = Image.new("L", (int(width / unit * scale) + scale, int(width / unit * scale) + scale), 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, a, b in _COMMAND.findall(path):
        if command in "Mm":
            dx, dy = float(a), float(b)
            x, y = (dx, dy) if command == "M" else (x + dx, y + dy)
        elif command in "Hh":
            end = float(a) if command == "H" else x + float(a)
            row = int(y)  # a line one module wide, centred on y
            draw.rectangle([x * scale, row * scale, end * scale - 1, (row + 1) * scale - 1], fill=0)
            x = end
        else:
            end = float(a) if command == "V" else y + float(a)
            col = int(x)
            draw.rectangle([col * scale, y * scale, (col + 1) * scale - 1, end * scale - 1], fill=0)
            y = end
    return _texts(image)


def in_pdf(pdf: bytes) -> list[str]:
    """The QR codes in the images of a PDF."""
    found: list[str] = []
    for pdf_page in PdfReader(io.BytesIO(pdf)).pages:
        for image in pdf_page.images:
            found += _texts(image.image)
    return found
