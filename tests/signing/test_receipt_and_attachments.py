"""The portal's seal on the receipt, and signatures found on signed attachments."""

from __future__ import annotations

import subprocess

from sqlalchemy import select

from app.catalog.loader import load_folder
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.extensions import db
from app.signing import get_signing
from app.signing.validation import validate
from tests import files
from tests.backoffice.fixtures import SECRET
from tests.conftest import TEST_CATALOG, page
from tests.events import accept
from tests.journey import apply, start, upload
from tests.journey.test_steps import base_of
from tests.pki import PASSPHRASE
from tests.signing.conftest import sign_elsewhere
from tests.signing.verifiers import pdfsig


def test_the_receipt_is_sealed_by_the_portal(make_app, citizen_key, tmp_path):
    test_app = make_app(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET})
    test_client = test_app.test_client()
    acknowledgement = apply(test_client, load_folder(TEST_CATALOG)["T.000001"].definition, citizen_key)
    code = page(acknowledgement).select_one(".dossier-code").get_text(strip=True)
    assert accept(test_client, code).json["title"] == "applied"  # the receipt comes at acceptance
    status_url = page(acknowledgement).select_one('a[href$="/status"]')["href"]
    receipt = test_client.get(status_url)
    response = test_client.get(page(receipt).select_one("a.receipt-pdf")["href"])
    assert response.mimetype == "application/pdf"
    pdf = response.data
    response.close()
    with test_app.app_context():
        verdicts = validate(pdf, get_signing().context())
    assert [(v.ok, v.signer_name) for v in verdicts] == [(True, "Cổng dịch vụ công OpenDVC (con dấu)")]
    (tmp_path / "receipt.pdf").write_bytes(pdf)
    report = pdfsig(tmp_path / "receipt.pdf")
    assert report.valid
    assert report.whole_document
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "receipt.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert f"Mã hồ sơ: {code}" in text
    # Made once: the same bytes every time it is downloaded.
    again = test_client.get(page(receipt).select_one("a.receipt-pdf")["href"])
    assert again.data == pdf
    again.close()


def test_the_receipt_qr_leads_to_tracking_with_the_code_filled_in(test_client):
    form = page(test_client.get("/track", query_string={"code": "000.00.99.G09-261123-0001"}))
    assert form.select_one("#code")["value"] == "000.00.99.G09-261123-0001"


def signatures_shown(client, documents_url: str) -> list[str]:
    return [
        li.get_text(" ", strip=True)
        for li in page(client.get(documents_url)).select(".attachment-signatures li")
    ]


def test_signed_attachments_are_validated_and_shown(test_client, pki):
    documents = base_of(start(test_client, "T.000001")) + "/documents"
    report = sign_elsewhere(files.pdf(pages=2), pki.pkcs12("citizen"))
    assert upload(test_client, documents, "DOC", "bao-cao-dtm-da-ky.pdf", report).status_code == 302
    assert signatures_shown(test_client, documents) == ["Signed by Nguyễn Thị Thu Hà: the signature is valid"]


def test_a_badly_signed_attachment_is_kept_but_flagged(test_client, pki):
    documents = base_of(start(test_client, "T.000001")) + "/documents"
    report = sign_elsewhere(files.pdf(), pki.pkcs12("rogue_citizen"), PASSPHRASE)
    assert upload(test_client, documents, "DOC", "report.pdf", report).status_code == 302
    untrusted = "The certificate was not issued by a trusted certification authority."
    assert signatures_shown(test_client, documents) == [f"Signature by Kẻ Giả Mạo not valid: {untrusted}"]


def test_an_unsigned_attachment_shows_no_signature(test_client):
    documents = base_of(start(test_client, "T.000001")) + "/documents"
    upload(test_client, documents, "DOC", "plain.pdf", files.pdf())
    assert signatures_shown(test_client, documents) == []


def test_a_timestamp_authority_down_at_acceptance_loses_nothing(make_app, citizen_key):
    """Sealing fails (the TSA does not answer): the acceptance is refused as a whole (503, the
    back office sends it again), and it goes in once the TSA answers again."""
    app = make_app(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET})
    client = app.test_client()
    client.get("/language/en")
    from pyhanko.sign.timestamps import HTTPTimeStamper

    from app.signing import get_signing
    from app.signing.pades import Level

    with app.app_context():
        signing = get_signing()
    acknowledgement = page(apply(client, load_folder(TEST_CATALOG)["T.000001"].definition, citizen_key))
    code = acknowledgement.select_one(".dossier-code").get_text(strip=True)
    # Only now: the applicant's own signature is B-B; the receipt's seal would need the TSA.
    signing.timestamper = HTTPTimeStamper("http://127.0.0.1:9/tsa", timeout=1)
    signing.level = Level.B_T
    assert accept(client, code).status_code == 503
    with app.app_context():
        dossier = db.session.scalar(select(Dossier))
        assert (dossier.status, dossier.receipt_sha256) == (Status.NEW, None)
    signing.timestamper, signing.level = None, Level.B_B  # the TSA is back (the seal needs none)
    assert accept(client, code).json["title"] == "applied"
    with app.app_context():
        dossier = db.session.scalar(select(Dossier))
        assert (dossier.status, bool(dossier.receipt_sha256)) == (Status.ACCEPTED, True)
