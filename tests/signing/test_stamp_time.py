"""The visible signature stamp gives the signing time in Viet Nam's time, not the server's."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app import clock
from app.catalog.loader import load_folder
from app.extensions import db
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import Report
from app.signing import pades
from app.storage import get_blobs
from tests.backoffice.fixtures import SECRET
from tests.conftest import TEST_CATALOG, page
from tests.events import accept
from tests.factories import SubmittedFactory
from tests.journey import apply
from tests.payments import requested_charge
from tests.signing.kinds import ToSign


def test_the_stamp_shows_vietnam_time():
    at = datetime(2026, 12, 22, 18, 30, tzinfo=UTC)  # already the 23rd in Ha Noi
    assert pades.stamp_params(at) == {"vn_ts": "23/12/2026 01:30:00 +0700"}
    assert pades.stamp_params()["vn_ts"].endswith("+0700")


STAMPED = re.compile(r"Thời gian ký: (\d\d/\d\d/\d{4} \d\d:\d\d:\d\d [+-]\d{4})")


def stamped_time(pdf: bytes, tmp_path: Path) -> datetime:
    """The signing time the visible stamp of a sealed or signed PDF shows, as pdftotext reads it
    (the text a person sees on the page)."""
    path = tmp_path / "stamped.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    found = STAMPED.findall(" ".join(text.split()))
    assert len(found) == 1, text
    return datetime.strptime(found[0], pades.STAMP_TIME)


def assert_vietnam_time_now(shown: datetime) -> None:
    """Written in Vietnam's offset (+0700), and the moment it was signed: not UTC's wall clock
    with +0700 pasted on."""
    assert shown.utcoffset() == timedelta(hours=7)
    assert abs(clock.now() - shown) < timedelta(minutes=2)


def test_the_applicants_stamped_signature_shows_vietnam_time(to_sign: ToSign, citizen_key, tmp_path):
    assert to_sign.sign_with_key_file(*citizen_key).status_code == 302
    signed = to_sign.signed_pdf()
    assert signed is not None
    assert_vietnam_time_now(stamped_time(signed, tmp_path))


def test_the_payment_receipts_seal_shows_vietnam_time(make_app, citizen_key, tmp_path):
    app = make_app(CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=["demo"])
    with app.test_request_context():
        charge = requested_charge(SubmittedFactory(key=citizen_key).dossier)
        payment = payments.begin(db.session.get_one(Charge, charge.id), "demo")
        report = Report(reference=payment.reference, state="paid", amount=payment.amount)
        assert payments.settle(report, provider="demo", via="notification").outcome == "settled"
        pdf = get_blobs().read(db.session.get_one(Payment, payment.id).receipt_sha256)
    assert_vietnam_time_now(stamped_time(pdf, tmp_path))


def test_the_acceptance_receipts_seal_shows_vietnam_time(make_app, citizen_key, tmp_path):
    test_app = make_app(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET})
    client = test_app.test_client()
    acknowledgement = apply(client, load_folder(TEST_CATALOG)["T.000001"].definition, citizen_key)
    code = page(acknowledgement).select_one(".dossier-code").get_text(strip=True)
    assert accept(client, code).json["title"] == "applied"
    status = client.get(page(acknowledgement).select_one('a[href$="/status"]')["href"])
    with client.get(page(status).select_one("a.receipt-pdf")["href"]) as response:
        pdf = response.data
    assert_vietnam_time_now(stamped_time(pdf, tmp_path))
