"""The staff's payments page: what waits, what failed, what was never reconciled, what is to be
refunded; "ask the provider now" and "refund made", each a POST with CSRF by a signed-in staff
member; what the providers said shown as text, never as markup; no bad input gets a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.dossiers.models import Dossier
from app.extensions import db
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import Report
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.factories import SubmittedFactory
from tests.payments import TOTAL, requested_charge
from tests.staff.test_deliveries_page import PASSWORD, sign_in

MARKUP = '<script>alert("x")</script> <b>forged</b>'


@pytest.fixture
def portal(make_app, citizen_key):
    """Payments in every state the page shows, and a staff account named lan."""
    app = make_app(CATALOG_DIR=TEST_CATALOG, PAYMENT_PROVIDERS=["demo", "failing"], WTF_CSRF_ENABLED=True)
    with app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
        charge = requested_charge(made.dossier)
        waiting = payments.begin(charge, "demo")
        stale = payments.begin(db.session.get_one(Charge, charge.id), "demo")
        stale.started_at = stale.started_at.replace(year=stale.started_at.year - 1)
        stale.message = MARKUP
        db.session.commit()
        refused = payments.begin(db.session.get_one(Charge, charge.id), "failing")
        payments.check(refused.id, force=True)
        first, twice = (payments.begin(db.session.get_one(Charge, charge.id), "demo") for _ in range(2))
        for p in (first, twice):
            payments.settle(
                Report(reference=p.reference, state="paid", amount=TOTAL, provider_reference="GW-42"),
                provider="demo",
                via="notification",
            )
        ids = {
            "waiting": waiting.id,
            "stale": stale.id,
            "refused": refused.id,
            "first": first.id,
            "twice": twice.id,
        }
        refs = {name: db.session.get_one(Payment, i).reference for name, i in ids.items()}
        code = made.dossier.code
    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    return app, ids, refs, code


def rows(response, table: str) -> dict[str, dict[str, str]]:
    found = page(response).select(f"table.{table} tbody tr")
    return {
        row["data-reference"]: {
            cell["class"][0]: cell.get_text(" ", strip=True) for cell in row.select("td[class], th[class]")
        }
        for row in found
    }


def staff(app):
    client = app.test_client()
    client.get("/language/en")
    sign_in(client)
    return client


def test_staff_see_each_payment_where_it_stands(portal):
    app, _ids, refs, code = portal
    listing = staff(app).get("/staff/payments")
    assert listing.status_code == 200
    unreconciled = rows(listing, "unreconciled")
    assert list(unreconciled) == [refs["stale"]]
    row = unreconciled[refs["stale"]]
    assert (row["code"], row["provider"], row["reference"], row["checks"]) == (
        code,
        "demo",
        refs["stale"],
        "0",
    )
    assert "year" in row["age"] or "month" in row["age"]
    assert row["message"] == MARKUP  # shown as text ...
    assert b"<script>alert" not in listing.data  # ... never as markup
    assert list(rows(listing, "waiting")) == [refs["waiting"]]
    failed = rows(listing, "failed")[refs["refused"]]
    assert (failed["state"], failed["response-code"]) == ("Not paid", "refused")
    refund = rows(listing, "refunds")
    assert list(refund) == [refs["twice"]], "the second payment of a paid charge"
    assert refund[refs["twice"]]["transaction"] == "GW-42"
    assert refund[refs["twice"]]["why"] == "Paid twice: the charge was paid by another payment"
    assert refs["first"] not in listing.text, "paid once, as asked: nothing to do"


def test_asking_the_provider_now_settles_that_payment(portal):
    app, ids, refs, _code = portal
    client = staff(app)
    listing = client.get("/staff/payments")
    asked = client.post(f"/staff/payments/{ids['stale']}/check", data={"csrf_token": csrf_token(listing)})
    assert (asked.status_code, asked.headers["Location"]) == (302, "/staff/payments")
    shown = client.get("/staff/payments")
    assert f"{refs['stale']}: the provider says it is paid; it is settled now." in shown.text
    assert refs["stale"] not in rows(shown, "unreconciled")
    assert refs["stale"] in rows(shown, "refunds"), "its charge was paid already: to give back"
    again = client.post(f"/staff/payments/{ids['stale']}/check", data={"csrf_token": csrf_token(shown)})
    assert again.status_code == 302
    assert "is settled already" in client.get("/staff/payments").text


def test_recording_a_refund_once_with_who_and_a_note(portal):
    app, ids, refs, _code = portal
    client = staff(app)
    token = csrf_token(client.get("/staff/payments"))
    too_long = client.post(
        f"/staff/payments/{ids['twice']}/refund", data={"csrf_token": token, "note": "x" * 201}
    )
    assert too_long.status_code == 302
    shown = client.get("/staff/payments")
    assert "Write at most 200 characters about the refund." in shown.text
    assert refs["twice"] in rows(shown, "refunds"), "nothing recorded"
    done = client.post(
        f"/staff/payments/{ids['twice']}/refund", data={"csrf_token": token, "note": "UNC <b>0042</b>"}
    )
    assert done.status_code == 302
    shown = client.get("/staff/payments")
    assert f"The refund of {refs['twice']} is recorded." in shown.text
    assert rows(shown, "refunds") == {}
    made = rows(shown, "refunded")[refs["twice"]]
    assert (made["refunded-by"], made["note"]) == ("lan", "UNC <b>0042</b>")
    assert b"<b>0042" not in shown.data
    twice = client.post(f"/staff/payments/{ids['twice']}/refund", data={"csrf_token": token})
    assert twice.status_code == 302
    assert "not awaiting a refund" in client.get("/staff/payments").text
    paid_once = client.post(f"/staff/payments/{ids['first']}/refund", data={"csrf_token": token})
    assert paid_once.status_code == 302
    with app.app_context():
        assert db.session.get_one(Payment, ids["first"]).refunded_at is None


def test_nobody_else_sees_or_changes_anything(portal):
    app, ids, _refs, _code = portal
    anonymous = app.test_client()
    shown = anonymous.get("/staff/payments")
    assert shown.status_code == 302
    assert shown.headers["Location"].startswith("/staff/login")
    for action in ("check", "refund"):
        token = csrf_token(anonymous.get("/staff/login"))
        posted = anonymous.post(f"/staff/payments/{ids['stale']}/{action}", data={"csrf_token": token})
        assert posted.status_code == 302
        assert posted.headers["Location"].startswith("/staff/login")
    client = staff(app)
    assert client.post(f"/staff/payments/{ids['stale']}/check").status_code == 400, "no CSRF token"
    assert client.post(f"/staff/payments/{ids['twice']}/refund", data={"note": "x"}).status_code == 400
    with app.app_context():
        assert db.session.get_one(Payment, ids["stale"]).state == "started"
        assert db.session.get_one(Payment, ids["twice"]).refunded_at is None


@pytest.mark.parametrize("path", ["/staff/payments/0/check", "/staff/payments/999999/refund"])
def test_an_unknown_payment_is_404(portal, path):
    app, *_ = portal
    client = staff(app)
    token = csrf_token(client.get("/staff/payments"))
    assert client.post(path, data={"csrf_token": token}).status_code == 404
    assert client.post(path.replace("/0/", "/x/"), data={"csrf_token": token}).status_code == 404


def test_the_page_is_in_vietnamese_by_default(portal):
    app, *_ = portal
    client = app.test_client()
    sign_in(client)
    shown = client.get("/staff/payments")
    headings = [h.get_text(strip=True) for h in page(shown).select("h2")]
    assert "Khoản cần hoàn tiền" in headings, headings
    with app.app_context():
        assert db.session.scalar(select(Dossier.code)) is not None
