"""The browser's return settles nothing by itself: the portal asks the provider."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.payments import services as payments
from app.payments.models import Charge, Payment
from tests.conftest import TEST_CATALOG
from tests.factories import SubmittedFactory
from tests.payments import requested_charge


@pytest.fixture
def app(make_app):
    return make_app(CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=["demo", "failing"])


@pytest.mark.parametrize(("provider", "state"), [("demo", "paid"), ("failing", "failed")])
def test_the_return_asks_the_provider_and_comes_back_to_the_dossier(app, citizen_key, provider, state):
    with app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
        payment = payments.begin(requested_charge(made.dossier), provider)
        reference, status_page = payment.reference, f"/dossiers/{made.dossier.public_id}/status"
    client = app.test_client()
    answer = client.get(f"/payments/{provider}/return?ref={reference}")
    assert (answer.status_code, answer.headers["Location"]) == (302, status_page)
    with app.app_context():
        paid = db.session.scalar(db.select(Payment).where(Payment.reference == reference))
        assert paid.state == state
        assert db.session.get_one(Charge, paid.charge_id).state == ("paid" if state == "paid" else "due")


def test_a_provider_not_offered_or_a_reference_not_known_is_not_found(app):
    client = app.test_client()
    assert client.get("/payments/vnpay/return?ref=X").status_code == 404
    assert client.get("/payments/demo/return?ref=NOPE").status_code == 404
    assert client.post("/api/v1/payments/vnpay/notify").status_code == 404


def test_a_notification_the_provider_cannot_send_is_refused(app):
    answer = app.test_client().post("/api/v1/payments/demo/notify", data={"ref": "X"})
    assert answer.status_code == 400
    assert answer.json == {"ok": False, "outcome": "forged"}
