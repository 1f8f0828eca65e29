"""The sea-area procedure (giao khu vực biển) through HTTP: the corner points typed in the page's
language, the declared area refused when it does not match and accepted when it does, the drawing
on the review page and in the declaration, then signed and submitted."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from werkzeug.datastructures import MultiDict

from app.catalog.loader import load_folder
from app.config import PACKAGE_DIR
from tests.conftest import csrf_token, page
from tests.journey import attach_required, sign_with_pkcs12, start, step_pairs, submit

SEA = load_folder(Path(PACKAGE_DIR / "catalog" / "procedures"))["1.009479"].definition
STEPS = {step.id: step for step in SEA.form.steps}

# A trapezoid off Cô Tô (VN-2000, 107°45', 3° zone), 2 000 m north to south, 1 000 m wide along
# its southern side and 1 500 m along its northern one: (1 000 + 1 500) / 2 × 2 000 = 2 500 000 m²,
# 250 ha. Typed as a surveyor's table: name, X, Y; the first point repeated last to close it.
CORNERS = [("M1", "2323000", "505000"), ("M2", "2325000", "505000"), ("M3", "2325000", "506500"),
           ("M4", "2323000", "506000"), ("M1", "2323000", "505000")]  # fmt: skip
DECIMAL = {"vi": ",", "en": "."}


def typed_corners(locale: str) -> str:
    return "\n".join(f"{name}\t{x}{DECIMAL[locale]}00\t{y}" for name, x, y in CORNERS)


def post_step(client, url: str, step_id: str, **overrides: str):
    form_page = client.get(url)
    assert form_page.status_code == 200, url
    data = MultiDict([("csrf_token", csrf_token(form_page)), ("action", "continue")])
    for key, value in step_pairs(STEPS[step_id], leave_out=overrides):
        data.add(key, value)
    for key, value in overrides.items():
        data.add(key, value)
    return client.post(url, data=data)


def errors_of(response, name: str) -> list[str]:
    return [e.get_text(strip=True) for e in page(response).select(f"#field-{name} .error")]


WORDS = {
    "vi": {
        "mismatch": "Diện tích tính từ các điểm là 250,00 ha, nhưng "
        "“Diện tích khu vực biển đề nghị giao (ha)” ghi 200 ha: hai số chênh nhau quá 1%",
        "swapped": "Điểm M1 nằm ngoài phạm vi của VN-2000, kinh tuyến trục 107°45', múi chiếu 3° "
        "trên lãnh thổ Việt Nam",
        "right": "250,00",
        "shown": "4 điểm, khép kín về điểm đầu; diện tích 250,00 ha (VN-2000, kinh tuyến trục 107°45', "
        "múi chiếu 3°)",
        "caption": "Sơ đồ “Tọa độ các điểm góc khu vực biển” theo tọa độ các điểm",
    },
    "en": {
        "mismatch": "The area of these vertices is 250.00 ha, but “Area of the sea area applied for (ha)” "
        "says 200 ha: they differ by more than 1%",
        "swapped": "Vertex M1 lies outside what VN-2000, central meridian 107°45', 3° zone covers "
        "in Viet Nam",
        "right": "250.00",
        "shown": "4 vertices, closed back to the first; area 250.00 ha (VN-2000, central meridian 107°45', "
        "3° zone)",
        "caption": "Drawing of “Coordinates of the sea area's corner points” from its vertices",
    },
}


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_a_sea_area_is_declared_checked_drawn_and_submitted(app, client, citizen_key, locale, tmp_path):
    words = WORDS[locale]
    client.get(f"/language/{locale}")
    url = start(client, SEA.code)
    for step_id in ("organisation", "representative"):
        response = post_step(client, url, step_id)
        assert response.status_code == 302, page(response).select(".error-summary")
        url = response.headers["Location"]
    assert url.endswith("/steps/sea_area")

    # X and Y typed the other way round: refused, the vertex named, the swap suggested.
    swapped = "\n".join(f"{name} {y} {x}" for name, x, y in CORNERS)
    response = post_step(client, url, "sea_area", declared_area_ha="250", boundary=swapped)
    assert response.status_code == 400
    (message,) = errors_of(response, "boundary")
    assert message.startswith(words["swapped"])
    assert message.endswith("?")

    # The corners are right, the declared area is not: both figures are given.
    response = post_step(client, url, "sea_area", declared_area_ha="200", boundary=typed_corners(locale))
    assert response.status_code == 400
    assert errors_of(response, "boundary") == [words["mismatch"]]
    summary = page(response).select_one(".error-summary").get_text(" ", strip=True)
    assert words["mismatch"] in summary
    refilled = page(response).select_one("textarea[name=boundary]").get_text()
    assert refilled.strip().startswith("M1\t2323000")  # what was typed comes back to be corrected

    # The declared area corrected: the step is accepted.
    response = post_step(
        client, url, "sea_area", declared_area_ha=words["right"], boundary=typed_corners(locale)
    )
    assert response.status_code == 302, errors_of(response, "boundary")
    documents_url = response.headers["Location"]
    attach_required(client, SEA, documents_url)
    base = documents_url.removesuffix("/documents")

    # Going back to the step shows the corners as stored, in this language, no repeated first point.
    again = page(client.get(url)).select_one("textarea[name=boundary]").get_text().strip().splitlines()
    assert again == [f"{n} {x}{DECIMAL[locale]}00 {y}" for n, x, y in CORNERS[:4]]

    review = page(client.get(f"{base}/review"))
    assert not review.select(".error-summary")
    answer = next(a for a in review.select(".answer") if a.find(id="figure-boundary"))
    assert words["shown"] in answer.get_text(" ", strip=True)
    figure = answer.find(id="figure-boundary")
    svg = figure.find("svg")
    assert svg["role"] == "img"
    assert svg.find("title").get_text().startswith(words["caption"])
    assert len(svg.find("polygon")["points"].split()) == 4
    assert [t.get_text() for t in svg.find_all("text")] == ["M1", "M2", "M3", "M4"]
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in figure.select("table.vertices tbody tr")]
    assert rows[2] == ["M3", f"2325000{DECIMAL[locale]}00", "506500"]
    assert not review.select("[style]")  # the drawing is styled by site.css: a strict CSP allows it

    pdf = client.get(f"{base}/declaration.pdf").data
    path = tmp_path / "declaration.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert (
        "Tọa độ các điểm góc khu vực biển: 4 điểm, khép kín về điểm đầu; diện tích 250,00 ha "
        "(VN-2000, kinh tuyến trục 107°45', múi chiếu 3°)"
    ) in flat  # the declaration is in Vietnamese, whatever the page's language
    assert "Sơ đồ “Tọa độ các điểm góc khu vực biển” theo tọa độ các điểm" in flat
    assert re.search(r"M3\s+2325000,00\s+506500", text)
    for name in ("M1", "M2", "M4"):
        assert name in text
    # The outline itself: a path of four corners, stroked and filled (fpdf2's polygon).
    content = b"".join(p.get_contents().get_data() for p in PdfReader(io.BytesIO(pdf)).pages)
    outlines = re.findall(rb"[\d.]+ [\d.]+ m\n(?:[\d.]+ [\d.]+ l\n){3} h\n B\n", content)
    assert len(outlines) == 1, "the outline is drawn"

    signed = sign_with_pkcs12(client, base, *citizen_key)
    assert signed.status_code == 302, page(signed).select(".error-summary")
    response = submit(client, f"{base}/review")
    assert response.status_code == 302
    receipt = page(client.get(response.headers["Location"]))
    assert receipt.select_one(".dossier-code").get_text(strip=True).startswith(SEA.agency.code)
