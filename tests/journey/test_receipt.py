"""The receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả), issued when the agency accepts the
dossier: every element of Circular 01/2018's form in the sealed PDF (read with pdftotext), in
the dossier's language, and the same on the printable page, on A4 and for the kiosk (80 mm)."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from app.clock import VIETNAM, now
from app.documents import receipt
from app.dossiers.models import Dossier
from app.dossiers.records import applicant_of, procedure_of
from app.extensions import db
from tests.backoffice.fixtures import DEFINITION, SECRET
from tests.conftest import TEST_CATALOG, page
from tests.events import accept
from tests.factories import AcceptedFactory, SubmittedFactory, resume_url

PROMISED = (now().astimezone(VIETNAM) + timedelta(days=40)).date()

# Each element of the form, in each language: (label, what follows it).
ELEMENTS = {
    "vi": [
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
        "Bộ phận tiếp nhận và trả kết quả: Bộ phận tiếp nhận và trả kết quả của {agency}",
        "Tiếp nhận hồ sơ của: {name} · {identifier}",
        "Địa chỉ: {address}",
        "Số điện thoại: {phone}",
        "Thư điện tử: {email}",
        "Nội dung yêu cầu giải quyết: {procedure} ({procedure_code})",
        "Mã hồ sơ: {code}",
        "1. Thành phần hồ sơ đã nhận",
        "Đơn đề nghị (tờ khai) có chữ ký số của người nộp — Bản chính (điện tử, có chữ ký số) — 1 bản",
        "Văn bản đề nghị — Bản sao (điện tử) — 1 bản",
        "2. Số lượng hồ sơ: 1 bộ",
        "3. Thời gian giải quyết hồ sơ theo quy định: 3 ngày làm việc",
        "4. Thời gian nhận hồ sơ: {received_vi}",
        "5. Ngày hẹn trả kết quả: {promised}",
        "6. Nơi và hình thức trả kết quả: Trực tuyến",
        "{tracking}",
        "hoặc tại Bộ phận tiếp nhận và trả kết quả của {agency}",
    ],
    "en": [
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "Receipt of the dossier and appointment for the result",
        "RECEPTION AND RESULT DESK",
        "Receiving unit: Reception and result desk of {agency}",
        "Dossier received from: {name} · {identifier}",
        "Address: {address}",
        "Phone: {phone}",
        "Email: {email}",
        "Requested (procedure): {procedure} ({procedure_code})",
        "Dossier code: {code}",
        "1. Documents received",
        "Declaration (application form), signed by the applicant"
        " — Original (electronic, digitally signed) — 1 copy",
        "Written request — Copy (electronic) — 1 copy",
        "2. Number of dossier sets: 1 set",
        "3. Processing time as the rules set it: 3 working days",
        "4. Dossier received at: {received_en}",
        "5. Result promised on: {promised}",
        "6. Where and how the result is returned: Online",
        "{tracking}",
        "or at the one-stop-shop (reception and result desk) of {agency}",
    ],
}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def accepted(make_app, citizen_key, request):
    """A dossier in the given language, submitted and accepted with a promised date."""
    locale = request.param
    app = make_app(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET})
    with app.test_request_context():
        made = SubmittedFactory(procedure=DEFINITION.code, key=citizen_key, locale=locale)
        code, public_id = made.dossier.code, made.dossier.public_id
    client = app.test_client()
    client.get(f"/language/{locale}")
    client.get(resume_url(made))
    assert accept(client, code, promised_on=PROMISED.isoformat()).json["title"] == "applied"
    with app.app_context():
        dossier = db.session.scalars(db.select(Dossier).where(Dossier.code == code)).one()
        applicant = applicant_of(procedure_of(dossier).definition, dossier.answers)
        received = dossier.received_at.astimezone(VIETNAM)
        values = {
            "agency": DEFINITION.agency.name.get(locale),
            "name": dossier.applicant_name,
            "identifier": dossier.applicant_identifier,
            "address": applicant["address"],
            "phone": dossier.applicant_phone,
            "email": dossier.applicant_email,
            "procedure": DEFINITION.name.get(locale),
            "procedure_code": DEFINITION.code,
            "code": code,
            "received_vi": f"{received:%H} giờ {received:%M} phút, "
            f"ngày {received:%d} tháng {received:%m} năm {received.year}",
            "received_en": f"{received:%H:%M, %d/%m/%Y}",
            "promised": PROMISED.strftime("%d/%m/%Y"),
            "tracking": f"{app.config['OPENDVC'].PUBLIC_URL.rstrip('/')}/track?code={code}",
        }
    assert all(values.values()), values
    return app, client, public_id, locale, values


@pytest.mark.parametrize("accepted", ["vi", "en"], indirect=True)
def test_the_sealed_receipt_gives_every_element_of_the_form(accepted, tmp_path):
    _app, client, public_id, locale, values = accepted
    status = page(client.get(f"/dossiers/{public_id}/status"))
    with client.get(status.select_one("a.receipt-pdf")["href"]) as response:
        assert response.mimetype == "application/pdf"
        (tmp_path / "receipt.pdf").write_bytes(response.data)
    done = subprocess.run(["pdftotext", str(tmp_path / "receipt.pdf"), "-"], capture_output=True, text=True)
    text = flat(done.stdout)
    for element in ELEMENTS[locale]:
        assert flat(element.format(**values)) in text, (element, text)


@pytest.mark.parametrize("accepted", ["vi", "en"], indirect=True)
@pytest.mark.parametrize("layout", ["a4", "kiosk"])
def test_the_receipt_prints_on_a4_and_at_the_kiosk(accepted, layout):
    app, client, public_id, locale, values = accepted
    status = page(client.get(f"/dossiers/{public_id}/status"))
    link = status.select_one(f"a.receipt-{layout}")["href"]
    doc = page(client.get(link))
    css = doc.select_one(f"link[href$='/receipt-{layout}.css']")
    assert css is not None
    rules = Path(app.static_folder, f"receipt-{layout}.css").read_text()
    assert ("size: 80mm auto" if layout == "kiosk" else "size: A4") in rules
    receipt = doc.select_one(".receipt-print")
    assert f"layout-{layout}" in receipt["class"]
    assert receipt.select_one(".code").get_text(strip=True) == values["code"]
    assert values["agency"] in receipt.select_one(".unit-name").get_text()
    assert (
        receipt.select_one(".applicant").get_text(strip=True) == f"{values['name']} · {values['identifier']}"
    )
    for name in ("address", "phone", "email"):
        assert receipt.select_one(f".{name}").get_text(strip=True) == values[name]
    assert (
        receipt.select_one(".procedure").get_text(strip=True) == f"{values['procedure']} ({DEFINITION.code})"
    )
    rows = [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in receipt.select(".received-documents tbody tr")
    ]
    assert len(rows) == 2  # the signed declaration, and the one document given
    assert rows[1][2:] == (["Bản sao (điện tử)", "1"] if locale == "vi" else ["Copy (electronic)", "1"])
    assert receipt.select_one(".processing-time").get_text(strip=True) == (
        "3 ngày làm việc" if locale == "vi" else "3 working days"
    )
    assert receipt.select_one(".promised").get_text(strip=True) == values["promised"]
    assert receipt.select_one(".received").get_text(strip=True)
    assert values["tracking"] in receipt.select_one(".returned").get_text()
    assert receipt.select_one("img.qr")


def test_no_receipt_before_acceptance_and_no_unknown_layout(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET})
    with app.test_request_context():
        made = SubmittedFactory(procedure=DEFINITION.code, key=citizen_key)
        code, public_id = made.dossier.code, made.dossier.public_id
    client = app.test_client()
    client.get(resume_url(made))
    for path in ("/receipt", "/receipt?layout=kiosk", "/receipt.pdf"):
        assert client.get(f"/dossiers/{public_id}{path}").status_code == 404
    status = page(client.get(f"/dossiers/{public_id}/status"))
    assert status.select_one("a.receipt-pdf") is None
    assert status.select_one("a.acknowledgement") is not None
    assert accept(client, code).json["title"] == "applied"
    assert client.get(f"/dossiers/{public_id}/receipt").status_code == 200
    assert client.get(f"/dossiers/{public_id}/receipt?layout=thermal").status_code == 404
    # Another browser, without the dossier's secret, sees none of it.
    stranger = app.test_client()
    for path in ("/receipt", "/receipt.pdf", "/acknowledgement"):
        assert stranger.get(f"/dossiers/{public_id}{path}").status_code == 404


@pytest.mark.parametrize(("locale", "well_log"), [("en", "Well log"), ("vi", "Lý lịch giếng khoan")])
def test_a_document_per_entry_is_received_under_its_entry(app, citizen_key, locale, well_log):
    """The groundwater licence asks a well log for each well: the receipt says whose each is."""
    with app.test_request_context():
        made = AcceptedFactory(procedure="1.004228", key=citizen_key, locale=locale)
        dossier = made.dossier
        said = receipt.facts(
            dossier, procedure_of(dossier), "https://portal.example/t", signed=True, locale=locale
        )
        wells = len(dossier.answers["wells"])
    logs = [d for d in said.documents if d.name.startswith(well_log)]
    assert len(logs) == wells
    well = "Well" if locale == "en" else "Giếng"
    assert [d.name.split("(")[-1].split(":")[0] for d in logs] == [f"{well} {n}" for n in range(1, wells + 1)]
