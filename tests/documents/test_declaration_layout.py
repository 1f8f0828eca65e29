"""The declaration's layout: an answer's words are never split across lines, dates read dd/mm/yyyy."""

from __future__ import annotations

import re
import subprocess

import pytest

from app.documents.declaration import Document
from tests.forms.test_validation import post_step
from tests.signing.conftest import ready  # noqa: F401 (fixture)


def lines_of(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "layout.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return [line.strip() for line in text.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("number", ["12,5", "1.234.567,25", "0100109106-001"])
def test_a_number_is_never_broken_across_lines(tmp_path, number):
    """A label long enough that only the number's first character would fit after it."""
    pdf = Document("test")
    pdf.add_page()
    pdf.set_font("NotoSans", "B", 10.5)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    label = "Diện tích"
    pdf.set_font("NotoSans", "", 10.5)
    room = pdf.get_string_width(number[0]) * 1.5
    pdf.set_font("NotoSans", "B", 10.5)
    while pdf.get_string_width(label + "x: ") < width - room:
        label += "x"
    pdf.pair(label, number)
    lines = lines_of(bytes(pdf.output()), tmp_path)
    assert number in lines, lines


def test_dates_in_the_declaration_read_day_month_year(test_client, ready, tmp_path):  # noqa: F811
    assert (
        post_step(test_client, f"{ready}/steps/basics", "basics", {"founded_on": ["2020-03-05"]}).status_code
        == 302
    )
    response = test_client.get(f"{ready}/declaration.pdf")
    text = " ".join(lines_of(response.data, tmp_path))
    response.close()
    assert "Ngày thành lập: 05/03/2020" in text
    assert re.search(r"ngày \d{2} tháng \d{2} năm \d{4}", text)  # the formal date line
