"""Receipt numbers (biên lai số), Circular 78/2021: consecutive from 1 within a symbol (ký hiệu
AA-<yy>E), given only to receipts actually issued, starting again at 1 with a new year's symbol,
and never shared nor skipped when payments are settled at the same moment."""

from __future__ import annotations

import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import select

from app import clock
from app.clock import VIETNAM
from app.extensions import db
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import Report
from app.storage import get_blobs
from app.store.models import RECEIPT, StoredDocument
from tests.accounts import make_account
from tests.conftest import TEST_CATALOG
from tests.dossiers.test_concurrent_submissions import room_for_everyone
from tests.factories import SubmittedFactory
from tests.payments import requested_charge


@pytest.fixture
def app(make_app):
    return make_app(CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=["demo", "failing"])


def settled(payment: Payment, state: str = "paid") -> Payment:
    report = Report(reference=payment.reference, state=state, amount=payment.amount)
    assert payments.settle(report, provider=payment.provider, via="notification").outcome == "settled"
    return db.session.get_one(Payment, payment.id)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "bien-lai.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(done.stdout.split())


def test_only_issued_receipts_are_numbered_one_after_the_other(app, citizen_key, tmp_path):
    with app.test_request_context():
        account = make_account()
        paid = []
        for _ in range(4):
            dossier = SubmittedFactory(key=citizen_key).dossier
            dossier.account_id = account.id
            db.session.commit()
            charge = requested_charge(dossier)
            # Attempts that fail or are never settled, before and between the paid ones.
            settled(payments.begin(db.session.get_one(Charge, charge.id), "demo"), "failed")
            payments.begin(db.session.get_one(Charge, charge.id), "demo")
            paid.append(settled(payments.begin(db.session.get_one(Charge, charge.id), "demo")))
        symbol = f"AA-{clock.now():%y}E"
        assert [(p.receipt_symbol, p.receipt_number) for p in paid] == [
            (symbol, f"{n:07d}") for n in range(1, 5)
        ]
        unpaid = db.session.scalars(select(Payment).where(Payment.state != "paid")).all()
        assert len(unpaid) == 8
        assert {p.receipt_number for p in unpaid} == {None}
        # The sealed receipt and the store say the same number.
        last = paid[-1]
        text = pdf_text(get_blobs().read(last.receipt_sha256), tmp_path)
        assert f"Ký hiệu: {symbol}" in text
        assert "Số: 0000004" in text
        kept = db.session.scalars(select(StoredDocument).where(StoredDocument.source == RECEIPT)).all()
        assert sorted(d.filename for d in kept) == [f"bien-lai-{n:07d}.pdf" for n in range(1, 5)]


def test_a_new_years_symbol_starts_again_at_one(app, citizen_key, monkeypatch, tmp_path):
    """The clock moved to the last minutes of one year, then the first of the next."""
    moments = [
        datetime(2026, 12, 31, 23, 50, tzinfo=VIETNAM),
        datetime(2026, 12, 31, 23, 55, tzinfo=VIETNAM),
        datetime(2027, 1, 1, 0, 5, tzinfo=VIETNAM),  # still 31 December in UTC
        datetime(2027, 1, 1, 0, 10, tzinfo=VIETNAM),
    ]
    with app.test_request_context():
        started = []
        for _ in moments:
            charge = requested_charge(SubmittedFactory(key=citizen_key).dossier)
            started.append(payments.begin(db.session.get_one(Charge, charge.id), "demo"))
        issued = []
        for payment, moment in zip(started, moments, strict=True):
            monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
            issued.append(settled(payment))
        assert [(p.receipt_symbol, p.receipt_number) for p in issued] == [
            ("AA-26E", "0000001"),
            ("AA-26E", "0000002"),
            ("AA-27E", "0000001"),
            ("AA-27E", "0000002"),
        ]
        text = pdf_text(get_blobs().read(issued[2].receipt_sha256), tmp_path)
        assert "Ký hiệu: AA-27E" in text
        assert "Số: 0000001" in text


SETTLED_AT_ONCE = 12


@pytest.mark.committed  # each thread settles in its own connection, as concurrent requests do
def test_payments_settled_at_once_get_distinct_consecutive_numbers(make_app, citizen_key, database):
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        PAYMENT_PROVIDERS=["demo"],
        SQLALCHEMY_ENGINE_OPTIONS=room_for_everyone(database.url),
    )
    with app.test_request_context():
        references = []
        for _ in range(SETTLED_AT_ONCE):
            charge = requested_charge(SubmittedFactory(key=citizen_key).dossier)
            payments.begin(db.session.get_one(Charge, charge.id), "demo")  # abandoned: no number
            payment = payments.begin(db.session.get_one(Charge, charge.id), "demo")
            references.append((payment.reference, payment.amount))
    start = threading.Barrier(SETTLED_AT_ONCE)

    def settle(reference_amount: tuple[str, int]) -> str:
        reference, amount = reference_amount
        with app.test_request_context():
            start.wait()
            report = Report(reference=reference, state="paid", amount=amount)
            settlement = payments.settle(report, provider="demo", via="notification")
            assert settlement.outcome == "settled"
            return settlement.payment.receipt_number

    with ThreadPoolExecutor(SETTLED_AT_ONCE) as pool:
        numbers = list(pool.map(settle, references))
    assert sorted(numbers) == [f"{n:07d}" for n in range(1, SETTLED_AT_ONCE + 1)]  # no gap, no duplicate
    with app.app_context():
        stored = db.session.scalars(select(Payment.receipt_number).where(Payment.state == "paid")).all()
    assert sorted(stored) == sorted(numbers)
