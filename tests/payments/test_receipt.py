"""The receipt (biên lai thu phí, lệ phí): every element the rules ask for, in Vietnamese, the
total in words, sealed by the portal so that pyHanko's validation holds against the test PKI,
issued once per paid payment, and kept in the store of the dossier's account."""

from __future__ import annotations

import io
import subprocess

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from app.clock import VIETNAM
from app.documents.words import number_in_words, vnd_in_words
from app.dossiers.models import Dossier
from app.dossiers.records import applicant_of, procedure_of
from app.extensions import db
from app.notifications.models import Notification
from app.outbox.models import OutboxMessage
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import Item, Report
from app.storage import get_blobs
from app.store import services as store
from app.store.models import RECEIPT, StoredDocument
from tests.accounts import make_account, signed_in
from tests.conftest import TEST_CATALOG, page
from tests.factories import SubmittedFactory
from tests.payments import requested_charge

ITEMS = [
    Item(code="LP01", kind="le_phi", name="Lệ phí cấp giấy phép", amount=500_000),
    Item(code="P02", kind="phi", name="Phí thẩm định hồ sơ", amount=505_000),
]


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "không"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),
        (15, "mười lăm"),
        (21, "hai mươi mốt"),
        (25, "hai mươi lăm"),
        (101, "một trăm linh một"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (1_005, "một nghìn không trăm linh năm"),
        (15_000, "mười lăm nghìn"),
        (500_000, "năm trăm nghìn"),
        (1_000_000, "một triệu"),
        (1_005_000, "một triệu không trăm linh năm nghìn"),
        (1_000_005, "một triệu không trăm linh năm"),
        (1_200_000, "một triệu hai trăm nghìn"),
        (21_000_000, "hai mươi mốt triệu"),
        (21_500_000, "hai mươi mốt triệu năm trăm nghìn"),
        (1_000_000_000, "một tỷ"),
        (1_001_001_001, "một tỷ không trăm linh một triệu không trăm linh một nghìn không trăm linh một"),
        (2_005_000_001, "hai tỷ không trăm linh năm triệu không trăm linh một"),
        (1_000_000_000_000, "một nghìn tỷ"),
        (
            999_999_999_999,
            "chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu chín trăm chín mươi chín "
            "nghìn chín trăm chín mươi chín",
        ),
    ],
)
def test_an_amount_is_written_in_vietnamese_words(amount, words):
    assert number_in_words(amount) == words
    written = vnd_in_words(amount)
    assert written == words[0].upper() + words[1:] + " đồng"


def test_a_negative_amount_has_no_words():
    with pytest.raises(ValueError, match="negative"):
        vnd_in_words(-1)


@pytest.fixture
def app(make_app):
    return make_app(CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=["demo"])


def _pay(charge_id: int, transaction: str = "GW-778899") -> Payment:
    payment = payments.begin(db.session.get_one(Charge, charge_id), "demo")
    report = Report(
        reference=payment.reference,
        state="paid",
        amount=payment.amount,
        dossier_code=payment.dossier.code,
        provider_reference=transaction,
    )
    assert payments.settle(report, provider="demo", via="notification").outcome == "settled"
    return db.session.get_one(Payment, payment.id)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_receipt_gives_every_element_and_is_sealed(app, citizen_key, pki, tmp_path):
    with app.test_request_context():
        dossier = SubmittedFactory(key=citizen_key).dossier
        definition = procedure_of(dossier).definition
        applicant = applicant_of(definition, dossier.answers)
        paid = _pay(requested_charge(dossier, ITEMS).id)
        pdf = get_blobs().read(paid.receipt_sha256)
        at = paid.settled_at.astimezone(VIETNAM)
        values = {
            "agency": definition.agency.name.vi,
            "agency_code": definition.agency.code,
            "code": dossier.code,
            "procedure": definition.name.vi,
            "procedure_code": definition.code,
            "payer": dossier.applicant_name,
            "identifier": dossier.applicant_identifier,
            "address": applicant["address"],
            "number": paid.receipt_number,
            "reference": paid.reference,
            "year": f"{at:%y}",
        }
    assert all(values.values()), values
    assert len(values["number"]) == 7
    assert values["number"].isdigit()
    path = tmp_path / "bien-lai.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    text = flat(done.stdout)
    for element in (
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "(Biên lai điện tử)",
        "Mẫu số: 01BLP0-001",
        "Ký hiệu: AA-{year}E",
        "Số: {number}",
        "Đơn vị thu: {agency}",
        "Mã cơ quan: {agency_code}",
        "Người nộp: {payer}",
        "Số định danh / Mã số thuế: {identifier}",
        "Địa chỉ: {address}",
        "Mã hồ sơ: {code}",
        "Thủ tục hành chính: {procedure} ({procedure_code})",
        "1 Lệ phí LP01 Lệ phí cấp giấy phép 500.000",
        "2 Phí P02 Phí thẩm định hồ sơ 505.000",
        "Tổng cộng 1.005.000",
        "Tổng số tiền: 1.005.000 đồng",
        "Số tiền bằng chữ: Một triệu không trăm linh năm nghìn đồng",
        "Hình thức thanh toán: Thanh toán trực tuyến qua",
        "Mã giao dịch: GW-778899",
        "Mã tham chiếu: {reference}",
        f"Thời điểm thanh toán: {at:%H} giờ {at:%M} phút, ngày {at:%d} tháng {at:%m} năm {at.year}",
        "ĐƠN VỊ THU (ký số)",
    ):
        assert flat(element.format(**values)) in text, (element, text)
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "841.89 pts (A4)" in pages

    roots = [
        asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(pki.root_pem.read_bytes(), multiple=True)
    ]
    [seal] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    status = validate_pdf_signature(seal, ValidationContext(trust_roots=roots, allow_fetching=False))
    assert (status.intact, status.valid, status.trusted, status.bottom_line) == (True, True, True, True)
    assert status.modification_level.name in ("NONE", "LTA_UPDATES")
    assert status.coverage.name == "ENTIRE_FILE"
    assert seal.field_name == "DauCong"


def test_one_receipt_per_paid_payment(app, citizen_key):
    with app.test_request_context():
        dossier = SubmittedFactory(key=citizen_key).dossier
        charge_id = requested_charge(dossier, ITEMS).id
        first = payments.begin(db.session.get_one(Charge, charge_id), "demo")
        second = payments.begin(db.session.get_one(Charge, charge_id), "demo")
        failed = payments.begin(db.session.get_one(Charge, charge_id), "demo")
        for payment in (first, second, first):  # the first told twice, a second attempt paid too
            report = Report(reference=payment.reference, state="paid", amount=payment.amount)
            payments.settle(report, provider="demo", via="notification")
        issued = db.session.scalars(select(Payment).where(Payment.id != failed.id).order_by(Payment.id)).all()
        numbers = [p.receipt_number for p in issued]
        assert None not in numbers
        assert len(set(numbers)) == 2
        assert issued[1].refund_due  # paid twice: the second is refunded, its receipt kept
        payments.settle(Report(reference=failed.reference, state="failed"), provider="demo", via="query")
        assert db.session.get_one(Payment, failed.id).receipt_number is None  # nothing paid, no receipt


def test_the_receipt_is_kept_in_the_store_of_the_dossiers_account(app, citizen_key):
    with app.test_request_context():
        account = make_account()
        dossier = SubmittedFactory(key=citizen_key).dossier
        dossier.account_id = account.id
        db.session.commit()
        paid = _pay(requested_charge(dossier, ITEMS).id)
        kept = db.session.scalars(select(StoredDocument).where(StoredDocument.account_id == account.id)).all()
        receipts = [d for d in kept if d.source == RECEIPT]
        assert [(d.sha256, d.result_code, d.dossier_code) for d in receipts] == [
            (paid.receipt_sha256, paid.receipt_number, dossier.code)
        ]
        [receipt] = receipts
        assert receipt.filename == f"bien-lai-{paid.receipt_number}.pdf"
        assert receipt.media_type == "application/pdf"
        assert receipt.size == len(get_blobs().read(paid.receipt_sha256))
        assert store.documents_of(account)[0].id == receipt.id
        anonymous = SubmittedFactory(key=citizen_key).dossier  # no account: no store
        _pay(requested_charge(anonymous, ITEMS).id)
        assert db.session.scalars(select(StoredDocument).where(StoredDocument.source == RECEIPT)).all() == [
            receipt
        ]
        receipt_id = receipt.id
        number = paid.receipt_number
        code = db.session.get_one(Dossier, dossier.id).code
    browser = signed_in(app, account)
    browser.get("/language/en")
    listing = page(browser.get("/account/documents"))
    row = listing.select_one(f'tr.stored-document[data-document-id="{receipt_id}"]')
    assert row is not None
    assert row["data-source"] == "receipt"
    assert (
        flat(row.select_one(".source").get_text(" ")) == f"Fees paid for dossier {code} Receipt no. {number}"
    )
    download = row.select_one("a.download")
    assert download.get_text(strip=True) == f"bien-lai-{number}.pdf"
    with browser.get(download["href"]) as answer:
        assert answer.status_code == 200
        assert answer.data.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("en", ("your payment has been received", "Paid: ₫1,005,000, through", "Receipt no. {number}:")),
        ("vi", ("đã nhận khoản thanh toán của bạn", "Đã nộp: 1.005.000\xa0₫, qua", "Biên lai số {number}:")),
    ],
)
def test_the_applicant_is_told_once_of_each_payment_received(make_app, citizen_key, locale, said):
    app = make_app(CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=["demo"], NOTIFICATION_CHANNELS=["email"])
    with app.test_request_context():
        dossier = SubmittedFactory(key=citizen_key, locale=locale).dossier
        assert dossier.applicant_email
        paid = _pay(requested_charge(dossier, ITEMS).id)
        again = Report(
            reference=paid.reference, state="paid", amount=paid.amount, provider_reference="GW-778899"
        )
        assert payments.settle(again, provider="demo", via="query").outcome == "already"
        told = db.session.scalars(select(Notification).where(Notification.payment_id.is_not(None))).all()
        assert len(told) == 1
        [notification] = told
        assert (notification.payment_id, notification.event_id, notification.recipient) == (
            paid.id,
            None,
            dossier.applicant_email,
        )
        message = db.session.get_one(OutboxMessage, notification.outbox_id)
        assert message.idempotency_key == f"{dossier.id}-TT{paid.id}-email"
        headline, amount, receipt = said
        assert (
            notification.subject == f"{'Dossier' if locale == 'en' else 'Hồ sơ'} {dossier.code}: {headline}"
        )
        assert amount in notification.text
        assert receipt.format(number=paid.receipt_number) in notification.text
        assert paid.receipt_number in notification.html
