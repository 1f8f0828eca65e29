"""Settling: only a provider's report marks a payment paid, once, with its receipt; the amount
and the dossier are checked; a second payment of one charge, or one for a withdrawn dossier, is
flagged for refund; reconciliation settles what no notification did."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from app.dossiers.models import Dossier
from app.extensions import db
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import Report
from app.storage import get_blobs
from tests.conftest import TEST_CATALOG
from tests.factories import SubmittedFactory
from tests.payments import TOTAL, requested_charge


@pytest.fixture
def app(make_app):
    return make_app(CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=["demo", "failing"])


@pytest.fixture
def charge(app, citizen_key):
    with app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
        return requested_charge(made.dossier).id


def _paid(reference: str, amount: int = TOTAL, code: str | None = None) -> Report:
    return Report(
        reference=reference, state="paid", amount=amount, dossier_code=code, provider_reference="GW-1"
    )


def test_a_report_of_payment_pays_the_charge_once_with_one_sealed_receipt(app, charge):
    with app.test_request_context():
        payment = payments.begin(db.session.get_one(Charge, charge), "demo")
        code = payment.dossier.code
        assert payments.settle(
            _paid(payment.reference, code=code), provider="demo", via="notification"
        ).outcome == ("settled")
        paid = db.session.get_one(Payment, payment.id)
        assert (paid.state, paid.charge.state, paid.charge.paid_by, paid.refund_due) == (
            "paid",
            "paid",
            paid.id,
            False,
        )
        receipt = get_blobs().path(paid.receipt_sha256).read_bytes()
        assert PdfFileReader(io.BytesIO(receipt)).embedded_signatures, "the receipt is sealed"
        first = (paid.receipt_number, paid.receipt_sha256)
        again = payments.settle(_paid(payment.reference, code=code), provider="demo", via="query")
        assert again.outcome == "already"
        assert (db.session.get_one(Payment, payment.id).receipt_number, paid.receipt_sha256) == first


@pytest.mark.parametrize(
    "report",
    [
        lambda ref, code: _paid(ref, amount=TOTAL - 1, code=code),
        lambda ref, code: _paid(ref, code="OTHER-260101-0001"),
        lambda ref, code: Report(reference=ref, state="paid", amount=None),
    ],
    ids=["amount", "dossier", "no-amount"],
)
def test_a_report_that_does_not_match_what_was_asked_pays_nothing(app, charge, report):
    with app.test_request_context():
        payment = payments.begin(db.session.get_one(Charge, charge), "demo")
        settled = payments.settle(
            report(payment.reference, payment.dossier.code), provider="demo", via="query"
        )
        assert settled.outcome == "mismatch"
        left = db.session.get_one(Payment, payment.id)
        assert (left.state, left.charge.state, left.receipt_sha256) == ("started", "due", None)


def test_a_report_for_another_provider_or_an_unknown_reference_is_unknown(app, charge):
    with app.test_request_context():
        payment = payments.begin(db.session.get_one(Charge, charge), "demo")
        assert payments.settle(_paid(payment.reference), provider="failing", via="query").outcome == "unknown"
        assert payments.settle(_paid("NOPE"), provider="demo", via="query").outcome == "unknown"
        assert db.session.get_one(Payment, payment.id).state == "started"


def test_a_second_payment_of_a_paid_charge_is_flagged_for_refund_and_keeps_its_receipt(app, charge):
    with app.test_request_context():
        first = payments.begin(db.session.get_one(Charge, charge), "demo")
        second = payments.begin(db.session.get_one(Charge, charge), "demo")
        payments.settle(_paid(first.reference), provider="demo", via="notification")
        assert (
            payments.settle(_paid(second.reference), provider="demo", via="notification").outcome == "settled"
        )
        late = db.session.get_one(Payment, second.id)
        assert (late.state, late.refund_due, late.refund_reason) == ("paid", True, "charge paid")
        assert late.receipt_sha256 is not None
        assert db.session.get_one(Charge, charge).paid_by == first.id


def test_a_payment_settled_after_its_dossier_was_withdrawn_is_flagged_for_refund(app, charge):
    with app.test_request_context():
        payment = payments.begin(db.session.get_one(Charge, charge), "demo")
        dossier = db.session.get_one(Dossier, payment.dossier_id)
        dossier.status = "withdrawn"
        db.session.commit()
        payments.settle(_paid(payment.reference), provider="demo", via="query")
        assert db.session.get_one(Payment, payment.id).refund_reason == "dossier withdrawn"


def test_reconciliation_asks_the_provider_about_payments_left_started(app, charge):
    with app.test_request_context():
        paid = payments.begin(db.session.get_one(Charge, charge), "demo")
        refused = payments.begin(db.session.get_one(Charge, charge), "failing")
        assert payments.reconcile(older_than=timedelta(0)) == {"settled": 2}
        assert db.session.get_one(Payment, paid.id).state == "paid"
        assert db.session.get_one(Payment, refused.id).state == "failed"
        assert payments.reconcile(older_than=timedelta(0)) == {}
