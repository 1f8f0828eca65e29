"""Paying the fees known at submission, through the portal's pages (issue 13 §1): the dossier
waits for them (before sending) or goes out at once (after sending); the demo provider pays, the
failing one refuses; the applicant may take a waiting dossier back to a draft; amounts computed
from the answers (a tier, an amount per unit) are what is charged; another browser reaches
nothing; every bad form gets a clear answer, in both languages."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.catalog.loader import load_folder
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.extensions import db
from app.journey.paying import to_provider
from app.notifications.models import Notification
from app.outbox.models import OutboxMessage
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import Redirect
from tests.accounts import make_account, signed_in
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.journey import attach_required, fill_steps, start

# The fees of the test procedure for the answers tests/journey gives: 250 staff, 500 ha.
FEES = """fees_paid: {when}
fees:
  - {{code: LP.01, kind: le_phi, name: {{vi: Lệ phí cấp phép, en: Licence charge}}, amount: 500000}}
  - code: P.02
    kind: phi
    name: {{vi: Phí thẩm định theo số nhân sự, en: Appraisal fee by staff}}
    tiers:
      field: staff
      unit: {{vi: người, en: people}}
      bands: [{{below: 100, amount: 1000000}}, {{up_to: 300, amount: 2000000}}, {{amount: 3000000}}]
  - code: P.03
    kind: phi
    name: {{vi: Phí theo diện tích, en: Fee per hectare}}
    per_unit: {{field: area_ha, amount: 1000, unit: {{vi: ha, en: ha}}}}
  - {{code: P.04, kind: phi, name: {{vi: Phí khai thác dữ liệu, en: Data fee}}, decided_later: true}}
"""
EXPECTED = [
    {"code": "LP.01", "kind": "le_phi", "name": "Lệ phí cấp phép", "amount": 500_000},
    {"code": "P.02", "kind": "phi", "name": "Phí thẩm định theo số nhân sự", "amount": 2_000_000},
    {"code": "P.03", "kind": "phi", "name": "Phí theo diện tích", "amount": 500_000},
]
TOTAL = 3_000_000
SHOWN_TOTAL = {"vi": "3.000.000", "en": "3,000,000"}


def fee_catalog(folder: Path, when: str) -> Path:
    """The test procedure with fixed, tiered, per-unit and later fees, paid `when`."""
    source = (TEST_CATALOG / "all-fields.yaml").read_text("utf-8")
    head, rest = source.split("fees:\n", 1)
    rest = rest.split("\n", 1)[1]  # the one fixed fee of the test procedure, replaced
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "all-fields.yaml").write_text(head + FEES.format(when=when) + rest, "utf-8")
    return folder


@pytest.fixture(params=["before_sending"])
def when(request) -> str:
    return request.param


@pytest.fixture
def app(make_app, tmp_path, when):
    return make_app(
        CATALOG_DIR=fee_catalog(tmp_path / "catalog", when),
        PAYMENT_PROVIDERS=["demo", "failing"],
        SIGNING_REQUIRED=False,
    )


def definition_of(app):
    return load_folder(app.config["OPENDVC"].CATALOG_DIR)["T.000001"].definition


def applied(app, client, locale: str = "en") -> str:
    """Start, fill, attach and submit through the pages: the dossier's base address."""
    client.get(f"/language/{locale}")
    definition = definition_of(app)
    documents = fill_steps(client, definition, start(client, definition.code))
    attach_required(client, definition, documents)
    base = documents.removesuffix("/documents")
    review = client.get(base + "/review")
    assert review.status_code == 200
    answer = client.post(base + "/review", data={"csrf_token": csrf_token(review)})
    assert answer.status_code == 302
    return base, answer.headers["Location"]


def pay(client, base: str, provider: str | None, changed: dict[str, str] | None = None):
    """Choose a provider on the payment page and press Pay: the answer to that POST."""
    shown = client.get(base + "/payment")
    assert shown.status_code == 200
    form = page(shown).select_one("form.pay-form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
    if provider is not None:
        data["provider"] = provider
    data.update(changed or {})
    return client.post(base + "/payment", data=data)


def come_back(client, answer) -> str:
    """Follow the provider's redirect (the demo providers send the browser straight back)."""
    assert answer.status_code == 303, answer.text
    location = urlsplit(answer.headers["Location"])
    back = client.get(f"{location.path}?{location.query}")
    assert back.status_code == 302
    return back.headers["Location"]


def state_of(app, base: str) -> tuple[Dossier, list[Charge], list[OutboxMessage]]:
    public_id = base.split("/")[2]
    with app.app_context():
        dossier = db.session.scalar(select(Dossier).where(Dossier.public_id == public_id))
        charges = list(db.session.scalars(select(Charge).where(Charge.dossier_id == dossier.id)))
        sent = list(
            db.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.dossier_id == dossier.id, OutboxMessage.kind == "submission"
                )
            )
        )
        for charge in charges:
            charge.payments  # noqa: B018 (loaded before the session closes)
        db.session.expunge_all()
    return dossier, charges, sent


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_paid_before_sending_the_dossier_waits_then_goes_out_once(app, locale):
    client = app.test_client()
    base, landed = applied(app, client, locale)
    assert landed == base + "/payment"
    dossier, charges, sent = state_of(app, base)
    assert dossier.status == Status.AWAITING_PAYMENT
    assert dossier.code
    assert sent == []  # nothing for the back office until it is paid
    assert [(c.origin, c.before_sending, c.state, c.amount) for c in charges] == [
        ("submission", True, "due", TOTAL)
    ]
    assert charges[0].items == EXPECTED  # the tier and the amount per unit as computed

    shown = page(client.get(landed))
    assert SHOWN_TOTAL[locale] in shown.select_one(".due-total").get_text()
    rows = shown.select("tr.charge-item")
    assert [r["data-code"] for r in rows] == ["LP.01", "P.02", "P.03"]
    assert rows[1].td.get_text() == {"vi": "Phí", "en": "Fee (phí)"}[locale]
    titles = [label.get_text(strip=True) for label in shown.select("form.pay-form label")]
    assert titles == (
        ["Thanh toán thử (không trừ tiền)", "Thanh toán thử luôn bị từ chối"]
        if locale == "vi"
        else ["Demonstration payment (nothing is charged)", "Demonstration payment that is always refused"]
    )
    status_page = page(client.get(base + "/status"))
    assert status_page.select_one("a.pay-link")["href"] == base + "/payment"
    assert status_page.select_one(".awaiting-payment")

    # Refused first: still waiting, nothing sent; then paid with the demo provider.
    assert come_back(client, pay(client, base, "failing")) == base + "/status"
    dossier, charges, sent = state_of(app, base)
    assert (dossier.status, charges[0].state, sent) == (Status.AWAITING_PAYMENT, "due", [])
    assert [p.state for p in charges[0].payments] == ["failed"]
    assert come_back(client, pay(client, base, "demo")) == base + "/status"
    dossier, charges, sent = state_of(app, base)
    assert dossier.status == Status.NEW
    assert dossier.received_at is not None
    assert dossier.due_on is not None
    assert charges[0].state == "paid"
    assert len(sent) == 1
    assert [p.state for p in charges[0].payments] == ["failed", "paid"]

    status_page = page(client.get(base + "/status"))
    assert status_page.select_one("a.pay-link") is None
    states = [li["class"] for li in status_page.select("li.payment")]
    assert states == [["payment", "payment-failed"], ["payment", "payment-paid"]]
    receipt = status_page.select_one("a.payment-receipt")["href"]
    with client.get(receipt) as pdf:
        assert pdf.status_code == 200
        assert pdf.data.startswith(b"%PDF")
    failed = charges[0].payments[0].reference
    assert client.get(f"{base}/payments/{failed}/receipt.pdf").status_code == 404

    # Paying again, or a page sent again: nothing more is started, the dossier is sent once.
    token = csrf_token(client.get("/track"))
    again = client.post(base + "/payment", data={"csrf_token": token, "charge": str(charges[0].id)})
    assert again.status_code == 409
    assert [m.id for m in state_of(app, base)[2]] == [m.id for m in sent]


@pytest.mark.parametrize("when", ["after_sending"], indirect=True)
def test_paid_after_sending_the_dossier_goes_out_at_once(app):
    client = app.test_client()
    base, landed = applied(app, client)
    assert landed == base + "/acknowledgement"
    dossier, charges, sent = state_of(app, base)
    assert dossier.status == Status.NEW
    assert len(sent) == 1
    assert [(c.before_sending, c.state, c.amount) for c in charges] == [(False, "due", TOTAL)]
    acknowledgement = page(client.get(landed))
    assert acknowledgement.select_one("a.pay-link")["href"] == base + "/payment"
    assert come_back(client, pay(client, base, "demo")) == base + "/status"
    dossier, charges, sent = state_of(app, base)
    assert (dossier.status, charges[0].state, len(sent)) == (Status.NEW, "paid", 1)


def test_the_review_page_says_what_will_be_asked(app):
    client = app.test_client()
    client.get("/language/en")
    definition = definition_of(app)
    documents = fill_steps(client, definition, start(client, definition.code))
    review = page(client.get(documents.removesuffix("/documents") + "/review"))
    told = review.select_one(".pay-online").get_text()
    assert "3,000,000" in told
    assert "once it is paid" in told


def test_back_to_a_draft_before_paying_cancels_the_charge(app):
    client = app.test_client()
    base, landed = applied(app, client)
    shown = client.get(landed)
    assert "refunded" in page(shown).select_one(".change-before-paying").get_text()
    # A payment started, then the applicant changes the dossier instead of finishing it.
    started = pay(client, base, "demo")
    assert started.status_code == 303
    changed = client.post(base + "/payment/change", data={"csrf_token": csrf_token(client.get(landed))})
    assert changed.status_code == 302
    assert changed.headers["Location"] == base + "/review"
    dossier, charges, sent = state_of(app, base)
    assert (dossier.status, [c.state for c in charges], sent) == (Status.DRAFT, ["cancelled"], [])
    # A draft again: no acknowledgement of a submission that did not go out.
    assert client.get(base + "/acknowledgement").status_code == 404
    assert page(client.get(base + "/status")).select_one("a.acknowledgement") is None
    # The payment still goes through: it is refunded, the dossier stays a draft.
    location = urlsplit(started.headers["Location"])
    client.get(f"{location.path}?{location.query}")
    dossier, charges, sent = state_of(app, base)
    assert dossier.status == Status.DRAFT
    assert sent == []
    assert [(p.state, p.refund_due) for p in charges[0].payments] == [("paid", True)]
    assert "to be refunded" in page(client.get(base + "/status")).select_one("li.payment").get_text()
    # Submitted again: the same code, a new charge.
    review = client.get(base + "/review")
    again = client.post(base + "/review", data={"csrf_token": csrf_token(review)})
    assert again.headers["Location"] == base + "/payment"
    resubmitted, charges, _sent = state_of(app, base)
    assert resubmitted.code == dossier.code
    assert [c.state for c in charges] == ["cancelled", "due"]


@pytest.mark.parametrize(
    ("changed", "status", "message"),
    [
        ({"provider": ""}, 400, "Choose how to pay"),
        ({"provider": "vnpay"}, 400, "This way of paying is not offered"),
        ({"charge": "999999"}, 409, "This amount is no longer due"),
        ({"csrf_token": "forged"}, 400, "This page has expired"),
        ({"attempt": "7"}, 409, "This payment was already started"),
    ],
)
def test_bad_payment_forms_get_a_clear_answer(app, changed, status, message):
    client = app.test_client()
    base, _landed = applied(app, client)
    answer = pay(client, base, "demo", changed)
    assert answer.status_code == status
    assert message in page(answer).select_one("main").get_text()
    assert all(c.payments == [] for c in state_of(app, base)[1])


def test_a_double_click_starts_one_payment(app):
    client = app.test_client()
    base, _landed = applied(app, client)
    shown = client.get(base + "/payment")
    form = page(shown).select_one("form.pay-form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")} | {"provider": "demo"}
    first, second = client.post(base + "/payment", data=data), client.post(base + "/payment", data=data)
    assert (first.status_code, second.status_code) == (303, 409)
    client.get("/language/vi")
    third = client.post(base + "/payment", data=data)
    assert "Khoản thanh toán này đã được bắt đầu" in page(third).select_one(".error-summary").get_text()
    assert len(state_of(app, base)[1][0].payments) == 1


def test_another_browser_reaches_nothing(app):
    client = app.test_client()
    base, _landed = applied(app, client)
    started = pay(client, base, "demo")
    come_back(client, started)
    reference = state_of(app, base)[1][0].payments[0].reference
    other = app.test_client()
    token = csrf_token(other.get("/track"))
    assert other.get(base + "/payment").status_code == 404
    assert other.post(base + "/payment", data={"csrf_token": token, "provider": "demo"}).status_code == 404
    assert other.post(base + "/payment/change", data={"csrf_token": token}).status_code == 404
    assert other.get(f"{base}/payments/{reference}/receipt.pdf").status_code == 404
    with client.get(f"{base}/payments/{reference}/receipt.pdf") as own:
        assert own.status_code == 200


def test_the_paid_hook_sends_the_dossier_from_a_command_too(make_app, tmp_path):
    """Reconciliation (app context only, no request) settles the payment and sends the dossier;
    the applicant's notification links to the public address."""
    app = make_app(
        CATALOG_DIR=fee_catalog(tmp_path / "catalog", "before_sending"),
        PAYMENT_PROVIDERS=["demo"],
        SIGNING_REQUIRED=False,
        NOTIFICATION_CHANNELS=["sms"],
        PUBLIC_URL="https://dichvucong.example.vn",
    )
    client = app.test_client()
    base, _landed = applied(app, client)
    assert pay(client, base, "demo").status_code == 303  # the browser never comes back
    with app.app_context():
        assert payments.reconcile(older_than=timedelta(0)) == {"settled": 1}
    dossier, charges, sent = state_of(app, base)
    assert (dossier.status, charges[0].state, len(sent)) == (Status.NEW, "paid", 1)
    with app.app_context():
        assert db.session.scalar(select(Payment).where(Payment.dossier_id == dossier.id)).receipt_number
        told = db.session.scalars(
            select(Notification).where(Notification.dossier_id == dossier.id).order_by(Notification.id)
        ).all()
        # The payment received, and the dossier sent: each told once, linking to the public address.
        assert sorted((n.event_id is None, n.payment_id is None) for n in told) == [
            (False, True),
            (True, False),
        ]
        for notification in told:
            assert f"https://dichvucong.example.vn/track?code={dossier.code}" in notification.text


def test_the_kiosk_slip_waits_for_the_fees(app):
    """At the kiosk the fees known at submission are paid before the slip is printed."""
    client = app.test_client()
    client.get("/kiosk/")
    base, landed = applied(app, client)
    public_id = base.split("/")[2]
    slip = client.get(f"/kiosk/dossiers/{public_id}/slip")
    assert (slip.status_code, slip.headers["Location"]) == (302, landed)
    come_back(client, pay(client, base, "demo"))
    assert client.get(f"/kiosk/dossiers/{public_id}/slip").status_code == 200


def test_my_dossiers_shows_a_dossier_awaiting_payment_with_its_pay_link(app):
    with app.app_context():
        account = make_account()
    client = signed_in(app, account)
    base, landed = applied(app, client)
    listing = page(client.get("/mine/"))
    entry = listing.select_one(f"li.dossier[data-public-id='{base.split('/')[2]}']")
    assert entry.select_one("a.pay-link")["href"] == landed
    assert "Waiting for the fees to be paid" in entry.select_one(".status").get_text()


def test_another_dossier_s_charge_is_not_paid_from_this_one(app):
    client = app.test_client()
    first, _landed = applied(app, client)
    second, _landed = applied(app, client)
    theirs = state_of(app, second)[1][0]
    answer = pay(client, first, "demo", {"charge": str(theirs.id)})
    assert answer.status_code == 409
    assert "This amount is no longer due" in page(answer).select_one(".error-summary").get_text()
    assert all(c.payments == [] for base in (first, second) for c in state_of(app, base)[1])


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_provider_elsewhere_is_reached_from_a_page_of_its_own(app, method):
    """The portal's pages post to the portal only (form-action 'self'), and a browser holds a
    form's redirect to it too: a provider elsewhere is reached from a page whose policy names
    it, its form posted by site.js, or by its button without JavaScript."""
    where = Redirect("https://pay.example.vn/checkout?x=1", method, {"bill": "000.00.99.G09-1", "sum": "<3>"})
    with app.test_request_context():
        response = to_provider(where)
    assert response.status_code == 200
    assert "form-action 'self' https://pay.example.vn;" in response.headers["Content-Security-Policy"]
    shown = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    if method == "POST":
        form = shown.select_one("form[data-autosubmit]")
        assert (form["method"], form["action"]) == ("post", where.url)
        assert {i["name"]: i["value"] for i in form.select("input")} == dict(where.fields)
        assert form.select_one("button[type=submit]")
    else:
        assert shown.select_one("meta[http-equiv=refresh]")["content"] == f"0;url={where.url}"
        assert shown.select_one("a.to-provider")["href"] == where.url


def test_two_clicks_at_once_start_one_payment(live_server, tmp_path):
    """Two Pay requests at the same moment, over real HTTP: one payment is started, the other
    is told it was already started."""
    server = live_server(
        CATALOG_DIR=fee_catalog(tmp_path / "catalog", "before_sending"),
        PAYMENT_PROVIDERS=["demo"],
        SIGNING_REQUIRED=False,
    )
    client = server.app.test_client()
    base, landed = applied(server.app, client)
    form = page(client.get(landed)).select_one("form.pay-form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")} | {"provider": "demo"}
    name = server.app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    cookies = {name: cookie.value}  # the same browser: the two clicks carry its session
    barrier = threading.Barrier(2)

    def click() -> int:
        barrier.wait()
        answer = requests.post(
            server.url + base + "/payment", data=data, cookies=cookies, allow_redirects=False, timeout=30
        )
        return answer.status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(lambda _: click(), range(2)))
    assert statuses == [303, 409]
    assert len(state_of(server.app, base)[1][0].payments) == 1


def test_a_provider_that_cannot_start_the_payment_leaves_no_payment_waiting(make_app, tmp_path, paygate):
    """The national platform is down when the applicant presses Pay: a translated 503, the
    attempt failed at once (not listed as on its way), the charge still due to pay again."""
    app = make_app(
        CATALOG_DIR=fee_catalog(tmp_path / "catalog", "before_sending"),
        PAYMENT_PROVIDERS=["keypay"],
        PAYMENT_OPTIONS={"keypay": paygate.keypay_options(timeout_seconds=5)},
        SIGNING_REQUIRED=False,
    )
    client = app.test_client()
    base, _landed = applied(app, client)
    paygate.stop()
    answer = pay(client, base, "keypay")
    assert answer.status_code == 503
    assert "cannot be reached now. Nothing was paid" in page(answer).select_one(".error-summary").get_text()
    dossier, charges, sent = state_of(app, base)
    [attempt] = charges[0].payments
    assert (dossier.status, charges[0].state, attempt.state, sent) == (
        Status.AWAITING_PAYMENT,
        "due",
        "failed",
        [],
    )
    assert "waiting for the payment service" not in client.get(base + "/payment").get_data(as_text=True)
