"""The browser's return settles nothing by itself: the portal asks the provider."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.payments import services as payments
from app.payments.models import Charge, Payment
from tests.conftest import TEST_CATALOG, page
from tests.factories import SubmittedFactory, resume_url
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
    client.get(resume_url(made))  # the applicant's browser holds the dossier
    answer = client.get(f"/payments/{provider}/return?ref={reference}")
    assert (answer.status_code, answer.headers["Location"]) == (302, status_page)
    with app.app_context():
        paid = db.session.scalar(db.select(Payment).where(Payment.reference == reference))
        assert paid.state == state
        assert db.session.get_one(Charge, paid.charge_id).state == ("paid" if state == "paid" else "due")


def test_a_provider_not_offered_is_not_found(app):
    client = app.test_client()
    assert client.get("/payments/vnpay/return?ref=X").status_code == 404
    assert client.post("/api/v1/payments/vnpay/notify").status_code == 404


def test_a_browser_that_may_not_reach_the_dossier_learns_nothing_from_a_return(app, citizen_key):
    """Someone else's reference (printed on a receipt) or one not known here: the same neutral
    page, no redirect to the dossier, no word of the payment; the provider is still asked."""
    with app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
        payment = payments.begin(requested_charge(made.dossier), "demo")
        reference, public_id = payment.reference, made.dossier.public_id
    stranger = app.test_client()
    stranger.get("/language/en")
    answers = [stranger.get(f"/payments/demo/return?ref={ref}") for ref in (reference, "0" * 20)]
    assert [a.status_code for a in answers] == [200, 200]
    shown = [page(a).select_one("main").get_text(" ", strip=True) for a in answers]
    assert shown[0] == shown[1]
    assert "Back from the payment service" in shown[0]
    assert public_id not in answers[0].get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Payment).where(Payment.reference == reference)).state == "paid"


def test_a_payment_that_arrives_for_a_dossier_taken_back_says_it_will_be_refunded(app, citizen_key):
    with app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
        charge = requested_charge(made.dossier)
        payment = payments.begin(charge, "demo")
        payments.cancel_due(made.dossier)
        db.session.commit()
        reference = payment.reference
    client = app.test_client()
    client.get(resume_url(made))
    client.get("/language/en")
    back = client.get(f"/payments/demo/return?ref={reference}")
    assert "no longer takes it: it will be refunded" in client.get(back.headers["Location"]).get_data(
        as_text=True
    )


def test_a_notification_the_provider_cannot_send_is_refused(app):
    answer = app.test_client().post("/api/v1/payments/demo/notify", data={"ref": "X"})
    assert answer.status_code == 400
    assert answer.json == {"ok": False, "outcome": "forged"}


def test_a_receipt_that_cannot_be_sealed_settles_nothing_and_is_no_server_error(app, citizen_key):
    """Its receipt cannot be made (the charge's items damaged by hand, as a seal that fails would
    do): the return comes back to the dossier saying it is not confirmed yet, nothing is paid."""
    with app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
        payment = payments.begin(requested_charge(made.dossier), "demo")
        payment.charge.items = [{"code": "LP01"}]  # no name, kind nor amount
        db.session.commit()
        reference = payment.reference
    client = app.test_client()
    client.get(resume_url(made))
    client.get("/language/en")
    answer = client.get(f"/payments/demo/return?ref={reference}")
    assert answer.status_code == 302
    with client.session_transaction() as session:  # the page itself cannot show damaged items
        assert "not confirmed the payment yet" in session["_flashes"][0][1]
    with app.app_context():
        left = db.session.scalar(db.select(Payment).where(Payment.reference == reference))
        assert (left.state, left.receipt_sha256, db.session.get_one(Charge, left.charge_id).state) == (
            "started",
            None,
            "due",
        )
