"""Fees the agency asks later (status 6, yêu cầu thực hiện nghĩa vụ tài chính): posted through the
real events endpoint, they open one charge with their items (a replay none more, fees of 0
none); closing the dossier cancels what is still due; once paid, the back office is told through
the outbox (kind "payment", `<code>-TT<n>`), by the real worker, once, with the sealed receipt
in a package that verifies; every package lists the dossier's paid payments."""

from __future__ import annotations

import functools
import io
import json
import zipfile

import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from app.catalog.loader import load_folder
from app.delivery.packages import build
from app.delivery.worker import deliver_due
from app.dossiers.models import Dossier
from app.extensions import db
from app.journey.withdrawal import withdraw
from app.outbox.models import OutboxMessage
from app.packaging.verify import verify
from app.payments import services as payments
from app.payments.models import Charge, Payment
from app.payments.providers import Item, Report
from app.storage import get_blobs
from tests.backoffice.fixtures import SECRET
from tests.conftest import TEST_CATALOG
from tests.delivery.workers import start_worker
from tests.events import event_body, post_event
from tests.factories import SubmittedFactory, submitted
from tests.payments import decided_later
from tests.waiting import wait_for

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition


@pytest.fixture
def make_app(make_app, tmp_path):
    """The test catalog with T.000001's fee fixed later by the agency's decision: nothing is paid
    at submission, the agency asks for its fees with status 6."""
    catalog = decided_later(TEST_CATALOG, tmp_path / "catalog")
    return functools.partial(make_app, CATALOG_DIR=catalog)


FEES = [
    {"name": "Lệ phí cấp giấy phép", "amount": 500_000, "code": "LP01", "kind": "le_phi"},
    {"name": "Phí thẩm định hồ sơ", "amount": 505_000, "code": "P02"},  # a phí, by its name
]
ITEMS = [
    {"code": "LP01", "kind": "le_phi", "name": "Lệ phí cấp giấy phép", "amount": 500_000},
    {"code": "P02", "kind": "phi", "name": "Phí thẩm định hồ sơ", "amount": 505_000},
]
TOTAL = 1_005_000


def portal(make_app, reference=None, *, adapter: str = "http", **config):
    """Payments offered (the demo provider); the dossiers go to the reference back office when
    one is given, else to `filesystem`."""
    if reference is None:
        return make_app(
            PAYMENT_PROVIDERS=["demo"],
            BACKOFFICE_SECRETS={"filesystem": SECRET},
            **config,
        )
    options = reference.options() if adapter == "http" else reference.national_options()
    return make_app(
        PAYMENT_PROVIDERS=["demo"],
        BACKOFFICE_DEFAULT=adapter,
        BACKOFFICE_OPTIONS={adapter: options},
        BACKOFFICE_SECRETS={adapter: SECRET},
        DELIVERY_BACKOFF_SECONDS=60,
        **config,
    )


def accepted(app, citizen_key, *, name: str = "filesystem") -> tuple:
    """A submitted dossier the back office accepted (event 1): its code, and a client."""
    code = submitted(app, DEFINITION, citizen_key)
    client = app.test_client()
    assert post_event(client, event_body(code, 1, 2), name=name).json["title"] == "applied"
    return code, client


def ask(client, code: str, fees: list, *, sequence: int = 2, name: str = "filesystem"):
    return post_event(client, event_body(code, sequence, 6, "Nộp lệ phí", fees=fees), name=name)


def charges(app, code: str) -> list[Charge]:
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        found = payments.charges_of(dossier)
        db.session.expunge_all()
        return found


def pay(app, code: str, number: int = 1, transaction: str = "GW-12345") -> str:
    """The provider says the charge is paid (settle with its report, as the notification does);
    twice, as providers do: the second changes nothing. Our reference."""
    with app.test_request_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        charge = next(c for c in payments.charges_of(dossier) if c.number == number)
        payment = payments.begin(charge, "demo")
        report = Report(
            reference=payment.reference,
            state="paid",
            amount=payment.amount,
            dossier_code=code,
            provider_reference=transaction,
        )
        assert payments.settle(report, provider="demo", via="notification").outcome == "settled"
        assert payments.settle(report, provider="demo", via="query").outcome == "already"
        return payment.reference


def outbox(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind != "notification"))
        return [(m.kind, m.idempotency_key) for m in rows.all()]


def roots_of(pki) -> list:
    return [
        asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(pki.root_pem.read_bytes(), multiple=True)
    ]


def checked(package, pki):
    roots = roots_of(pki)
    return verify(
        io.BytesIO(package.zip_bytes()),
        trust_roots=roots,
        context=ValidationContext(trust_roots=roots, allow_fetching=False),
    )


def test_a_fee_request_opens_one_charge_with_its_items_and_a_replay_none_more(make_app, citizen_key):
    app = portal(make_app)
    code, client = accepted(app, citizen_key)
    answer = ask(client, code, FEES)
    assert (answer.status_code, answer.json["title"]) == (200, "applied")
    [charge] = charges(app, code)
    assert (charge.number, charge.origin, charge.event_id, charge.state) == (
        1,
        "request",
        f"evt-{code}-2",
        "due",
    )
    assert (charge.items, charge.amount, charge.before_sending) == (ITEMS, TOTAL, False)
    again = ask(client, code, FEES)
    assert (again.status_code, again.json["title"]) == (200, "already applied")
    assert len(charges(app, code)) == 1
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert dossier.status == "payment_requested"
        assert dossier.events[-1].note == "Nộp lệ phí"


@pytest.mark.parametrize(
    ("fees", "offered"),
    [
        ([{"name": "Lệ phí cấp giấy phép", "amount": 0, "code": "LP01", "kind": "le_phi"}], ["demo"]),
        ([], ["demo"]),
        (FEES, []),  # no provider offered: the fees are told, not paid here
    ],
    ids=["zero", "no-fees", "not-offered"],
)
def test_no_charge_when_the_fees_come_to_nothing_or_are_not_paid_here(make_app, citizen_key, fees, offered):
    app = make_app(PAYMENT_PROVIDERS=offered, BACKOFFICE_SECRETS={"filesystem": SECRET})
    code, client = accepted(app, citizen_key)
    assert ask(client, code, fees).json["title"] == "applied"
    assert charges(app, code) == []


@pytest.mark.parametrize(
    "fee",
    [
        {"name": "Lệ phí", "amount": 1, "kind": "thue"},
        {"name": "Lệ phí", "amount": 1, "code": ""},
        {"name": "Lệ phí", "amount": "500000"},
        {"name": "Lệ phí", "amount": 1, "kind": 2},
        {"name": "Lệ phí", "amount": 1, "price": 1},
        {"name": "Lệ phí", "amount": -1},
    ],
    ids=["kind", "empty-code", "string-amount", "number-kind", "unknown-field", "negative"],
)
def test_a_fee_that_is_not_well_formed_refuses_the_event(make_app, citizen_key, fee):
    app = portal(make_app)
    code, client = accepted(app, citizen_key)
    answer = ask(client, code, [fee])
    assert answer.status_code == 400
    assert answer.json["title"].startswith("invalid event")
    assert charges(app, code) == []


@pytest.mark.parametrize("closing", ["stopped", "withdrawn-by-the-back-office", "withdrawn-by-the-applicant"])
def test_closing_the_dossier_cancels_its_charges_still_due(make_app, citizen_key, closing):
    app = portal(make_app)
    code, client = accepted(app, citizen_key)
    assert ask(client, code, FEES).json["title"] == "applied"
    with app.test_request_context():
        started = payments.begin(db.session.get_one(Charge, charges(app, code)[0].id), "demo").reference
    if closing == "withdrawn-by-the-applicant":
        with app.test_request_context():
            withdraw(db.session.scalars(select(Dossier).where(Dossier.code == code)).one(), "Không cần nữa")
    else:
        status = 8 if closing == "stopped" else 7
        assert post_event(client, event_body(code, 3, status, "Dừng")).json["title"] == "applied"
    assert [c.state for c in charges(app, code)] == ["cancelled"]
    with app.test_request_context():  # a payment on its way when it closed is paid: refunded
        report = Report(reference=started, state="paid", amount=TOTAL, dossier_code=code)
        payments.settle(report, provider="demo", via="notification")
        late = db.session.scalars(select(Payment).where(Payment.reference == started)).one()
        assert (late.state, late.refund_due, late.refund_reason) == ("paid", True, "charge cancelled")
    assert [kind for kind, _ in outbox(app) if kind == "payment"] == []  # nothing to tell


@pytest.mark.committed  # the worker is another process
def test_a_paid_request_reaches_the_back_office_once_with_its_sealed_receipt(
    make_app, citizen_key, reference, pki
):
    reference.start()
    app = portal(make_app, reference)
    code, client = accepted(app, citizen_key, name="http")
    worker = start_worker(app)
    try:
        assert reference.next_stored() == code
        assert ask(client, code, FEES, name="http").json["title"] == "applied"
        ours = pay(app, code)
        assert outbox(app) == [("submission", code), ("payment", f"{code}-TT1")]
        assert reference.next_stored() == f"{code}-TT1"

        def delivered():
            """the payment's message is delivered"""
            with app.app_context():
                message = db.session.scalars(
                    select(OutboxMessage).where(OutboxMessage.kind == "payment")
                ).one()
                return message.state == "delivered" and message

        message = wait_for(delivered)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        worker.stdout.close()
    with app.app_context():
        paid = db.session.scalars(select(Payment).where(Payment.reference == ours)).one()
        receipt_number, receipt_sha256 = paid.receipt_number, paid.receipt_sha256
        receipt = get_blobs().read(receipt_sha256)
    assert message.payload == {
        "number": 1,
        "charge": 1,
        "origin": "request",
        "event_id": f"evt-{code}-2",
        "items": ITEMS,
        "amount": TOTAL,
        "provider": "demo",
        "transaction": "GW-12345",
        "reference": ours,
        "receipt_number": receipt_number,
        "receipt_sha256": receipt_sha256,
        "paid_at": message.payload["paid_at"],
    }
    assert message.payload["paid_at"].endswith("+07:00")

    [told] = reference.payments()
    assert told == {
        "key": f"{code}-TT1",
        "code": code,
        "charge": 1,
        "amount": TOTAL,
        "provider": "demo",
        "transaction": "GW-12345",
        "receipt_number": receipt_number,
        "receipt_sha256": receipt_sha256,
        "paid_at": message.payload["paid_at"],
    }
    kept = {d["code"]: (d["kind"], d["deliveries"]) for d in reference.dossiers()}
    assert kept == {code: ("submission", 1), f"{code}-TT1": ("payment", 1)}
    with app.app_context():
        assert deliver_due().delivered == []  # nothing more to tell: told once
    assert len(reference.payments()) == 1

    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        package = build(dossier, payment=1, upto=message.id)
        submission = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "submission")).one()
        first = build(dossier, upto=submission.id)  # as the submission was sent: before the payment
        now = build(dossier)  # a submission built now lists it
    assert (package.kind, package.code) == ("payment", f"{code}-TT1")
    report = checked(package, pki)
    assert report.ok, report.problems
    assert (report.key, report.receipts) == (f"{code}-TT1", 1)
    path = f"bien-lai/{receipt_number}.pdf"
    with zipfile.ZipFile(io.BytesIO(package.zip_bytes())) as archive:
        assert sorted(archive.namelist()) == [path, "manifest.json", "manifest.xml"]
        assert archive.read(path) == receipt
        manifest = json.loads(archive.read("manifest.json"))
        xml = archive.read("manifest.xml")
    entry = {
        "charge": 1,
        "origin": "request",
        "event_id": f"evt-{code}-2",
        "items": ITEMS,
        "amount": TOTAL,
        "provider": "demo",
        "transaction": "GW-12345",
        "reference": ours,
        "paid_at": message.payload["paid_at"],
        "receipt": {
            "number": receipt_number,
            "path": path,
            "media_type": "application/pdf",
            "size": len(receipt),
            "sha256": receipt_sha256,
        },
    }
    assert manifest["kind"] == "payment"
    assert manifest["payment"] == entry
    assert manifest["payments"] == [entry]
    assert (manifest["files"], manifest["declaration"]) == ([], None)
    assert b"<ThanhToanLePhi><LanThanhToan>1</LanThanhToan></ThanhToanLePhi>" in xml
    assert f"<SoBienLai>{receipt_number}</SoBienLai><SHA256>{receipt_sha256}</SHA256>".encode() in xml
    assert "payments" not in first.manifest  # as a package made before payments existed
    assert now.manifest["payments"] == [entry]
    assert checked(now, pki).ok


def test_a_package_whose_receipt_was_changed_does_not_verify(make_app, citizen_key, reference, pki):
    reference.start()
    app = portal(make_app, reference)
    code, client = accepted(app, citizen_key, name="http")
    assert ask(client, code, FEES, name="http").json["title"] == "applied"
    pay(app, code)
    with app.app_context():
        package = build(db.session.scalars(select(Dossier).where(Dossier.code == code)).one(), payment=1)
    zipped = io.BytesIO(package.zip_bytes())
    changed = io.BytesIO()
    with zipfile.ZipFile(zipped) as source, zipfile.ZipFile(changed, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.startswith("bien-lai/"):
                data = data.replace(b"/Producer", b"/Producex", 1)
            target.writestr(name, data)
    roots = roots_of(pki)
    changed.seek(0)
    report = verify(
        changed, trust_roots=roots, context=ValidationContext(trust_roots=roots, allow_fetching=False)
    )
    assert not report.ok
    assert any("does not match its sha256" in p for p in report.problems), report.problems


def test_fees_paid_before_sending_travel_with_the_submission_to_the_national_portal(
    make_app, citizen_key, reference, pki
):
    reference.start()
    app = portal(make_app, reference, adapter="dvcqg")
    with app.test_request_context():
        dossier = SubmittedFactory(procedure=DEFINITION.code, key=citizen_key).dossier
        code = dossier.code
        items = [Item(**item) for item in ITEMS]
        charge = payments.open_charge(dossier, items, origin=payments.AT_SUBMISSION, before_sending=True)
        db.session.commit()
        charge_number = charge.number
    pay(app, code, charge_number)
    assert outbox(app) == [("submission", code)]  # no payment message: the submission tells it
    with app.app_context():
        assert deliver_due().delivered == [code]
        [paid] = build(db.session.scalars(select(Dossier).where(Dossier.code == code)).one()).manifest[
            "payments"
        ]
    assert (paid["origin"], paid["amount"], paid["items"]) == ("submission", TOTAL, ITEMS)
    [record] = reference.national_records()
    assert record["key"] == code
    assert record["body"]["data"][0]["DuocThanhToanTrucTuyen"] == "2"  # paid on this portal's gateway
    [kept] = reference.dossiers()
    assert (kept["code"], kept["kind"]) == (code, "submission")  # verified there, receipt and all


def test_through_the_dvcqg_adapter_a_payment_goes_as_the_package_alone(make_app, citizen_key, reference):
    reference.start()
    app = portal(make_app, reference, adapter="dvcqg")
    code, client = accepted(app, citizen_key, name="dvcqg")
    with app.app_context():
        assert deliver_due().delivered == [code]
    assert ask(client, code, FEES, name="dvcqg").json["title"] == "applied"
    pay(app, code)
    with app.app_context():
        assert deliver_due().delivered == [f"{code}-TT1"]
    [told] = reference.payments()
    assert (told["key"], told["amount"]) == (f"{code}-TT1", TOTAL)
    [record] = reference.national_records()  # the dossier's own; the payment has none
    assert (record["key"], record["body"]["data"][0]["DuocThanhToanTrucTuyen"]) == (code, "0")
