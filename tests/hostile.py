"""Input an attacker sends: malformed PDFs built object by object, and JSON nested past any stack."""

from __future__ import annotations

import io

# 200 KB of brackets: json.loads recurses once per bracket.
NESTED_BRACKETS = b"[" * 200_000
NESTED_IN_AN_OBJECT = b'{"certificate": ' + b"[" * 100_000 + b"1" + b"]" * 100_000 + b"}"
_CONTENT = b"BT /F1 12 Tf 72 720 Td (Xin chao) Tj ET"
_PAGES = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
]
_ID = b"/ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] "


def pdf_of(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF with these objects (numbered from 1, the first the catalog) and a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), dictionary, data)


def unknown_filter() -> bytes:
    """The page's content stream is compressed with a filter no reader knows."""
    return pdf_of([*_PAGES, _stream(b"/Filter /NoSuchDecode", _CONTENT)])


def unknown_security_handler() -> bytes:
    """Encrypted by a security handler other than the standard one (a DRM plug-in's)."""
    return pdf_of(
        [*_PAGES, _stream(b"", _CONTENT), b"<< /Filter /FOPN_fLock /V 1 /R 2 /Length 40 >>"],
        b"/Encrypt 5 0 R " + _ID,
    )


def unsupported_encryption_version() -> bytes:
    """The standard handler, at a version and revision that do not exist."""
    return pdf_of(
        [*_PAGES, _stream(b"", _CONTENT), b"<< /Filter /Standard /V 9 /R 9 /O <00> /U <00> /P -4 >>"],
        b"/Encrypt 5 0 R " + _ID,
    )


def deeply_nested_page() -> bytes:
    """A page whose /MediaBox is an array nested 100,000 deep."""
    return pdf_of(
        [
            *_PAGES[:2],
            b"<< /Type /Page /Parent 2 0 R /MediaBox " + b"[" * 100_000 + b"]" * 100_000 + b" >>",
        ]
    )


# (name, content, what the applicant is told)
MALFORMED_PDFS = [
    (
        "unknown-filter.pdf",
        unknown_filter(),
        "The PDF uses a feature that cannot be read here: save it again as a standard PDF or scan it",
        "Tệp PDF dùng một tính năng không đọc được tại đây: vui lòng lưu lại thành tệp PDF thông "
        "thường hoặc quét lại",
    ),
    (
        "unknown-handler.pdf",
        unknown_security_handler(),
        "The PDF is protected in a way that cannot be opened here: attach a copy without a password "
        "or other protection",
        "Tệp PDF được bảo vệ theo cách không mở được tại đây: vui lòng đính kèm bản không có mật khẩu "
        "hay hình thức bảo vệ nào khác",
    ),
    (
        "encryption-v9.pdf",
        unsupported_encryption_version(),
        "The PDF is protected in a way that cannot be opened here: attach a copy without a password "
        "or other protection",
        "Tệp PDF được bảo vệ theo cách không mở được tại đây: vui lòng đính kèm bản không có mật khẩu "
        "hay hình thức bảo vệ nào khác",
    ),
    (
        "nested.pdf",
        deeply_nested_page(),
        "The PDF is damaged and cannot be read: save or scan it again",
        "Tệp PDF bị hỏng, không đọc được: vui lòng lưu hoặc quét lại",
    ),
]
