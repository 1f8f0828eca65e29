"""Result documents returned with status 10: only a validly signed PDF is accepted; it is coded
<dossier code>-KQ<n> and offered to the applicant, and to nobody else."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from fpdf import FPDF

from app.clock import VIETNAM
from app.delivery.worker import deliver_due
from app.dossiers.models import Dossier
from app.extensions import db
from app.results.models import ResultDocument
from app.signing.keys import from_pkcs12
from app.signing.pades import Level, sign
from tests.backoffice.fixtures import DEFINITION
from tests.backoffice.reference import SECRET as SHARED
from tests.backoffice.reference import SERVER
from tests.conftest import TEST_CATALOG, page
from tests.events.test_events import event, post
from tests.journey import apply
from tests.pki import PASSPHRASE


def licence() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(0, 10, "GIAY PHEP - ket qua giai quyet thu tuc hanh chinh")
    return bytes(pdf.output())


def signed_by(pki, label: str) -> bytes:
    signer = from_pkcs12(pki.pkcs12(label), PASSPHRASE)
    return sign(licence(), signer, field_name="ChuKyCoQuan", box=None, level=Level.B_B, reason="Kết quả")


def result(data: bytes, name: str = "giay-phep.pdf") -> dict:
    return {"file_name": name, "content": base64.b64encode(data).decode()}


@pytest.fixture
def finished(tracked):
    """A dossier the back office has accepted, processed and finished."""
    app, client, code, status_url = tracked
    for sequence, status in enumerate((2, 4, 9), 1):
        assert post(client, event(code, sequence, status)).json["title"] == "applied"
    return app, client, code, status_url


def state(app) -> tuple[str, list[str]]:
    with app.app_context():
        dossier = db.session.scalars(db.select(Dossier)).one()
        return dossier.status, [r.code for r in db.session.scalars(db.select(ResultDocument))]


def test_a_signed_result_is_offered_to_the_applicant_only(finished, pki):
    app, client, code, status_url = finished
    document = signed_by(pki, "agency")
    answer = post(client, {**event(code, 4, 10, "Đã trả kết quả"), "results": [result(document)]})
    assert (answer.status_code, answer.json["title"]) == (200, "applied")
    assert state(app) == ("result_returned", [f"{code}-KQ1"])
    listed = page(client.get(status_url)).select_one(".results")
    assert listed.select_one(".result-code").get_text(strip=True) == f"{code}-KQ1"
    assert "giay-phep.pdf" in listed.get_text()
    download = client.get(listed.select_one("a")["href"])
    assert download.status_code == 200
    assert download.data == document
    assert f"{code}-KQ1.pdf" in download.headers["Content-Disposition"]
    download.close()
    stranger = app.test_client()
    assert stranger.get(listed.select_one("a")["href"]).status_code == 404


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda pki: licence(), "not_signed"),
        (lambda pki: signed_by(pki, "rogue_citizen"), "untrusted"),
        (lambda pki: b"not a pdf at all", "not a PDF"),
    ],
)
def test_a_result_without_a_valid_agency_signature_is_refused(finished, pki, make, reason):
    app, client, code, _ = finished
    answer = post(client, {**event(code, 4, 10), "results": [result(make(pki))]})
    assert answer.status_code == 422
    assert reason in answer.json["title"]
    assert state(app) == ("finished", [])  # nothing changed, nothing stored


def test_results_come_with_status_10_only(tracked, pki):
    app, client, code, _ = tracked
    answer = post(client, {**event(code, 1, 2), "results": [result(signed_by(pki, "agency"))]})
    assert answer.status_code == 400
    assert state(app) == ("new", [])


def test_a_result_file_name_cannot_be_a_path(finished, pki):
    app, client, code, _ = finished
    answer = post(
        client, {**event(code, 4, 10), "results": [result(signed_by(pki, "agency"), "../../x.pdf")]}
    )
    assert answer.status_code == 400
    assert state(app) == ("finished", [])


def test_the_reference_back_office_posts_statuses_and_the_result(
    live_server, reference, citizen_key, pki, tmp_path
):
    """End to end, both sides real processes: delivered over http, then the reference back office's
    `event` command moves the dossier to 'result returned' with a signed licence."""

    reference.start()
    server = live_server(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_DEFAULT="http",
        BACKOFFICE_OPTIONS={"http": reference.options()},
        BACKOFFICE_SECRETS={"http": SHARED},
    )
    client = server.app.test_client()
    client.get("/language/en")
    receipt = page(apply(client, DEFINITION, citizen_key))
    code = receipt.select_one(".dossier-code").get_text(strip=True)
    status_url = receipt.select_one('a[href$="/status"]')["href"]
    with server.app.app_context():
        assert deliver_due().delivered == [code]
    licence_pdf = tmp_path / "giay-phep.pdf"
    licence_pdf.write_bytes(signed_by(pki, "agency"))
    env = {
        **os.environ,
        "REFERENCE_SECRET": SHARED,
        "REFERENCE_TRUST_ROOTS": str(pki.root_pem),
        "REFERENCE_PORTAL_URL": server.url,
    }
    today = datetime.now(VIETNAM).date()
    promised, extended = today + timedelta(days=30), today + timedelta(days=40)
    apology = "Xin lỗi ông/bà vì phải gia hạn để lấy ý kiến liên ngành."
    events = [
        ("2", ["--promised-on", promised.isoformat()]),  # the receipt carries the promised date
        ("4", []),
        ("4", ["--promised-on", extended.isoformat(), "--apology", apology]),  # an extension
        ("9", []),
        ("10", ["--result", str(licence_pdf)]),
    ]
    for status, extra in events:
        done = subprocess.run(
            [sys.executable, str(SERVER), "--data", str(reference.data), "event", code, status, *extra],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "200 applied" in done.stdout
    doc = page(client.get(status_url))
    assert doc.select_one(".status strong").get_text(strip=True) == "Result returned"
    assert doc.select_one(".promised-on strong").get_text(strip=True) == f"{extended:%d/%m/%Y}"
    assert apology in doc.select_one(".promised-history .promised-extended").get_text()
    assert doc.select_one(".result-code").get_text(strip=True) == f"{code}-KQ1"
