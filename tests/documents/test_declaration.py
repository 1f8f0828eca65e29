"""The declaration PDF: exact Vietnamese text, every answer and document, reproducible bytes."""

from __future__ import annotations

import hashlib
import subprocess

from tests.conftest import page
from tests.signing.conftest import ready  # noqa: F401 (fixture)


def text_of(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "declaration.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def get(client, url: str) -> bytes:
    response = client.get(url)
    data = response.data
    response.close()
    return data


def test_the_declaration_reads_back_in_vietnamese(test_client, ready, tmp_path):  # noqa: F811
    pdf = get(test_client, f"{ready}/declaration.pdf")
    text = " ".join(text_of(pdf, tmp_path).split())
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "ĐƠN ĐỀ NGHỊ Thủ tục thử nghiệm mọi loại trường",
        "Kính gửi: Cơ quan thử nghiệm",
        "Họ và tên: Nguyễn Thị Thu Hà",
        "Địa chỉ: 12 Lê Thánh Tông, Phường Hoàn Kiếm, Hà Nội",
        "Nội dung: Nước; Không khí",
        "Loài: Nguyễn Thị Thu Hà",  # a repeatable group's entry
        "Tôi xin cam đoan",
        "NGƯỜI ĐỀ NGHỊ (ký số)",
    ):
        assert expected in text, expected
    sha256 = page(test_client.get(f"{ready}/documents")).select_one("#component-DOC .files code").get_text()
    assert sha256.rstrip("…") in text


def test_the_same_dossier_gives_the_same_bytes(test_client, ready):  # noqa: F811
    first = get(test_client, f"{ready}/declaration.pdf")
    assert get(test_client, f"{ready}/declaration.pdf") == first
    from tests.forms.test_validation import post_step

    post_step(test_client, f"{ready}/steps/basics", "basics", {"staff": ["7"]})
    changed = get(test_client, f"{ready}/declaration.pdf")
    assert hashlib.sha256(changed).digest() != hashlib.sha256(first).digest()


def test_answers_are_printed_as_typed_never_as_markup(test_client, ready, tmp_path):  # noqa: F811
    from tests.forms.test_validation import post_step

    typed = "khai_thac__nuoc A--B--C [x](https://evil.example)"
    assert post_step(test_client, f"{ready}/steps/basics", "basics", {"purpose": [typed]}).status_code == 302
    pdf = get(test_client, f"{ready}/declaration.pdf")
    assert typed in " ".join(text_of(pdf, tmp_path).split())
    assert b"/URI" not in pdf
