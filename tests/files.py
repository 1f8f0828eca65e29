"""Real files of each kind a component may accept, made on the spot."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from pypdf import PdfWriter


def pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00\xff\x00\x00"  # one red pixel
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpg() -> bytes:
    # JFIF header is what content sniffing looks at; the rest is a minimal valid stream.
    return bytes.fromhex(
        "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f"
        "141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101"
        "011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b510000201030302040305"
        "0504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718"
        "191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a8384"
        "85868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8"
        "d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
    )


def _ooxml(main_part: str, content_type: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{main_part}" ContentType="{content_type}"/></Types>',
        )
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        z.writestr(main_part, '<?xml version="1.0"?><document/>')
    return out.getvalue()


def docx() -> bytes:
    return _ooxml(
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    )


def xlsx() -> bytes:
    return _ooxml(
        "xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    )


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("data.txt", "số liệu quan trắc\n")
    return out.getvalue()


def elf_executable() -> bytes:
    """The start of a 64-bit Linux executable: what a renamed program looks like."""
    header = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 3, 0x3E, 1) + b"\x00" * 40
    return header + b"\x90" * 512


def windows_executable() -> bytes:
    stub = b"MZ" + b"\x90\x00" * 29 + struct.pack("<I", 0x80)
    return stub.ljust(0x80, b"\x00") + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200


SAMPLES = {
    "pdf": ("document.pdf", pdf),
    "png": ("scan.png", png),
    "jpg": ("scan.jpg", jpg),
    "docx": ("report.docx", docx),
    "xlsx": ("table.xlsx", xlsx),
    "zip": ("data.zip", zip_archive),
    "shp": ("layers.zip", zip_archive),
    "xml": ("data.xml", lambda: b'<?xml version="1.0" encoding="UTF-8"?>\n<data><item>1</item></data>\n'),
    "txt": ("notes.txt", lambda: "Ghi chú: số liệu quan trắc\n".encode()),
}


def sample_for(accepted: list[str]) -> tuple[str, bytes]:
    for kind in accepted:
        if kind in SAMPLES:
            name, make = SAMPLES[kind]
            return name, make()
    raise LookupError(f"no sample for {accepted}")
