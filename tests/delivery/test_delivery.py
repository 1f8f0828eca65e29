"""Submitted dossiers leave through the outbox, exactly once, and failures stay visible."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from app.backoffice import get_backoffices
from app.backoffice.adapters import Delivered, DeliveryFailed, load_adapters
from app.catalog.loader import load_folder
from app.delivery.packages import build
from app.delivery.worker import deliver_due
from app.dossiers.models import Dossier
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.conftest import TEST_CATALOG, page
from tests.journey import apply
from tests.waiting import wait_for

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition


def submit(app, key) -> str:
    client = app.test_client()
    client.get("/language/en")
    return page(apply(client, DEFINITION, key)).select_one(".dossier-code").get_text(strip=True)


def messages(app) -> list[tuple[str, str, str, int]]:
    with app.app_context():
        rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))
        return [(m.idempotency_key, m.adapter, m.state, m.attempts) for m in rows]


def test_a_submission_is_queued_in_the_same_transaction(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG)
    code = submit(app, citizen_key)
    assert messages(app) == [(code, "filesystem", "pending", 0)]


def test_the_package_reaches_the_drop_folder_once_and_checks_out(make_app, citizen_key, tmp_path):
    app = make_app(CATALOG_DIR=TEST_CATALOG)
    code = submit(app, citizen_key)
    with app.app_context():
        first = deliver_due()
        second = deliver_due()
    assert (first.delivered, second.delivered) == ([code], [])
    drop = Path(app.config["OPENDVC"].BACKOFFICE_DROP_DIR or tmp_path / "drop")
    assert sorted(p.name for p in drop.iterdir()) == [f"{code}.zip"]
    with zipfile.ZipFile(drop / f"{code}.zip") as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
        signed = archive.read("don-de-nghi-da-ky.pdf")
    assert hashlib.sha256(signed).hexdigest() == manifest["declaration"]["sha256"]
    assert manifest["dossier_code"] == code
    assert manifest["declaration"]["signer_name"] == "Nguyễn Thị Thu Hà"
    assert names == sorted(names)
    assert "manifest.xml" in names
    assert messages(app) == [(code, "filesystem", "delivered", 1)]


def test_the_same_dossier_gives_the_same_package(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG)
    submit(app, citizen_key)
    with app.app_context():
        dossier = db.session.scalars(db.select(Dossier)).one()
        assert build(dossier).zip_bytes() == build(dossier).zip_bytes()


def test_a_failing_back_office_is_retried_then_marked_failed_and_can_be_resent(make_app, citizen_key):
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_ROUTES={"T.000001": "failing"},
        DELIVERY_MAX_ATTEMPTS=2,
        DELIVERY_BACKOFF_SECONDS=1,
    )
    code = submit(app, citizen_key)
    with app.app_context():
        assert deliver_due().retrying == [code]
        assert deliver_due().delivered == []  # not due yet: backing off
        message = db.session.scalars(db.select(OutboxMessage)).one()
        message.next_attempt_at = message.created_at  # time passes
        db.session.commit()
        assert deliver_due().failed == [code]
    assert messages(app) == [(code, "failing", "failed", 2)]
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["deliver", "--failed"])
    assert code in listed.output
    assert "the failing adapter never accepts a package" in listed.output
    assert runner.invoke(args=["deliver", "--resend", code]).exit_code == 0
    assert messages(app)[0][2:] == ("pending", 0)
    assert runner.invoke(args=["deliver", "--resend", "000.00.99.G09-000000-0000"]).exit_code != 0


def test_the_worker_command_delivers(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG)
    submit(app, citizen_key)
    result = app.test_cli_runner().invoke(args=["deliver", "--once"])
    assert result.exit_code == 0
    assert "delivered 1, retrying 0, failed 0" in result.output


@pytest.mark.parametrize("name", sorted(load_adapters()))
def test_every_adapter_keeps_the_contract(make_app, citizen_key, reference, name, tmp_path):
    """Every registered adapter, configured against a real receiver: submitting the same package
    twice gives the same reference, and a failure is a DeliveryFailed."""
    reference.start()
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_OPTIONS={
            "http": reference.options(),
            "dvcqg": reference.options(url=f"{reference.url}/dvcqg/DongBoHoSoMC"),
            "maildir": {"path": tmp_path / "mail", "to": "motcua@example.gov.vn"},
        },
    )
    submit(app, citizen_key)
    with app.app_context():
        adapter = get_backoffices()[name]
        package = build(db.session.scalars(db.select(Dossier)).one())
        try:
            first = adapter.submit(package=package)
        except DeliveryFailed:
            with pytest.raises(DeliveryFailed):
                adapter.submit(package=package)
            return
        assert isinstance(first, Delivered)
        assert adapter.submit(package=package) == first
        assert all(e.dossier_code == package.code for e in adapter.status(reference=first.reference))
        assert zipfile.ZipFile(io.BytesIO(package.zip_bytes())).testzip() is None
    if name in ("http", "dvcqg"):
        assert [(d["code"], d["deliveries"]) for d in reference.dossiers()] == [(package.code, 2)]


def test_the_applicant_sees_the_delivery(make_app, citizen_key):
    app = make_app(
        CATALOG_DIR=TEST_CATALOG, BACKOFFICE_ROUTES={"T.000001": "failing"}, DELIVERY_MAX_ATTEMPTS=1
    )
    client = app.test_client()
    client.get("/language/en")
    receipt = apply(client, DEFINITION, citizen_key)
    status_url = page(receipt).select_one('a[href$="/status"]')["href"]
    assert "Being sent" in page(client.get(status_url)).select_one(".delivery").get_text()
    with app.app_context():
        deliver_due()
    assert "Delivery to the agency failed" in page(client.get(status_url)).select_one(".delivery").get_text()


@pytest.mark.committed  # the worker is a thread of its own
def test_the_embedded_worker_delivers_by_itself(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG, DELIVERY_IN_PROCESS=True)
    code = submit(app, citizen_key)
    stop = app.extensions["opendvc.delivery_thread"]
    try:
        wait_for(lambda: messages(app)[0][2] == "delivered")
    finally:
        stop.set()
    assert messages(app) == [(code, "filesystem", "delivered", 1)]
