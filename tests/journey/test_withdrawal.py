"""The applicant asks to withdraw a dossier (status 7) from its tracking page: a confirmation,
an optional reason, CSRF and the dossier's secret required; the request goes to the back office
through the outbox as a withdrawal package (kind "withdrawal", key <code>-RUT), end to end over
HTTP to the reference back office."""

from __future__ import annotations

import io
import json
import zipfile

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from app.backoffice.http import SignedPoster, TransportOptions
from app.delivery.worker import deliver_due
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.packaging.verify import verify
from tests.backoffice.fixtures import DEFINITION, SECRET
from tests.backoffice.reference import SECRET as REFERENCE_SECRET
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.delivery.test_faults import deliveries, portal
from tests.events import accept, event_body, post_event
from tests.journey import apply

REASON = "Tôi đã nộp nhầm thủ tục"


def withdraw(client, status_url: str, *, reason: str = REASON, confirm: bool = True):
    link = page(client.get(status_url)).select_one("a.withdraw")
    assert link is not None, "no withdraw link on the tracking page"
    form = client.get(link["href"])
    assert form.status_code == 200
    data = {"csrf_token": csrf_token(form), "reason": reason}
    if confirm:
        data["confirm"] = "y"
    return client.post(link["href"], data=data)


def outbox(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(m.kind, m.idempotency_key, m.adapter) for m in rows]


def test_withdrawing_asks_for_a_confirmation_then_queues_the_request(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET}, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    client.get("/language/en")
    acknowledgement = page(apply(client, DEFINITION, citizen_key))
    code = acknowledgement.select_one(".dossier-code").get_text(strip=True)
    status_url = acknowledgement.select_one('a[href$="/status"]')["href"]
    withdraw_url = status_url.removesuffix("/status") + "/withdraw"

    unconfirmed = withdraw(client, status_url, confirm=False)
    assert unconfirmed.status_code == 400
    assert (
        "Confirm that you want to withdraw the dossier" in page(unconfirmed).select_one(".error-summary").text
    )
    forged = client.post(withdraw_url, data={"confirm": "y", "reason": "x"})  # no CSRF token
    assert forged.status_code == 400
    stranger = app.test_client()  # without the dossier's secret
    assert stranger.get(withdraw_url).status_code == 404
    token = csrf_token(stranger.get("/track"))  # a valid token of its own session
    assert stranger.post(withdraw_url, data={"csrf_token": token, "confirm": "y"}).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Dossier)).one().status == Status.NEW
    assert outbox(app) == [("submission", code, "filesystem")]

    done = withdraw(client, status_url)
    assert done.status_code == 302
    shown = page(client.get(done.headers["Location"]))
    assert "Your request to withdraw the dossier has been sent to the agency." in shown.text
    assert shown.select_one(".status strong").get_text(strip=True) == "Withdrawn at the applicant's request"
    assert f"Withdrawn at the applicant's request: {REASON}" in shown.select_one(".history").text
    assert shown.select_one("a.withdraw") is None
    assert outbox(app) == [("submission", code, "filesystem"), ("withdrawal", f"{code}-RUT", "filesystem")]
    # Asked again (another tab): nothing more is queued.
    again = client.post(withdraw_url, data={"csrf_token": csrf_token(client.get("/track")), "confirm": "y"})
    assert again.status_code == 302
    assert len(outbox(app)) == 2
    # The back office can no longer move it.
    assert post_event(client, event_body(code, 1, 2)).status_code == 409


def test_the_reason_is_optional_and_bounded(tracked):
    app, client, code, status_url = tracked
    too_long = withdraw(client, status_url, reason="x" * 2001)
    assert too_long.status_code == 400
    assert withdraw(client, status_url, reason="").status_code == 302
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert (dossier.status, dossier.events[-1].note, dossier.events[-1].actor) == (
            Status.WITHDRAWN,
            None,
            "applicant",
        )


def test_an_accepted_or_processing_dossier_may_be_withdrawn_a_finished_one_not(tracked):
    _app, client, code, status_url = tracked
    assert accept(client, code).json["title"] == "applied"
    assert post_event(client, event_body(code, 2, 4)).json["title"] == "applied"
    assert page(client.get(status_url)).select_one("a.withdraw") is not None
    assert post_event(client, event_body(code, 3, 9)).json["title"] == "applied"
    doc = page(client.get(status_url))
    assert doc.select_one("a.withdraw") is None
    late = client.get(status_url.removesuffix("/status") + "/withdraw")
    assert late.status_code == 302  # back to the status page, with a word why
    assert "can no longer be withdrawn" in page(client.get(late.headers["Location"])).text


def test_the_withdrawal_goes_end_to_end_over_http_to_the_reference_back_office(
    make_app, citizen_key, reference, pki
):
    reference.start()
    app = portal(make_app, reference)
    client = app.test_client()
    client.get("/language/vi")
    acknowledgement = page(apply(client, DEFINITION, citizen_key))
    code = acknowledgement.select_one(".dossier-code").get_text(strip=True)
    status_url = acknowledgement.select_one('a[href$="/status"]')["href"]
    assert withdraw(client, status_url).status_code == 302  # queued before the dossier is even delivered
    with app.app_context():
        outcome = deliver_due()
    assert outcome.delivered == [code, f"{code}-RUT"]  # in order: the dossier first
    assert reference.next_stored() == code
    assert reference.next_stored() == f"{code}-RUT"
    assert deliveries(app)[f"{code}-RUT"][:2] == ("delivered", "BO-000002")
    rows = {d["code"]: d for d in reference.dossiers()}
    assert rows[f"{code}-RUT"]["kind"] == "withdrawal"
    assert rows[code]["withdrawal_reason"] == REASON
    assert rows[code]["withdrawn_at"].startswith(str(2000 + int(code.split("-")[1][:2]))[:2])
    # The package as the contract has it, sealed and verified as any other.
    with app.app_context():
        from app.delivery.packages import build

        package = build(db.session.scalars(select(Dossier)).one(), withdrawal=True)
    assert (package.kind, package.code) == ("withdrawal", f"{code}-RUT")
    manifest = package.manifest
    assert manifest["kind"] == "withdrawal"
    assert manifest["dossier_code"] == code
    assert manifest["procedure"]["code"] == DEFINITION.code
    assert manifest["status"] == 7
    assert manifest["reason"] == REASON
    assert manifest["requested_at"].endswith("+07:00")
    assert manifest["files"] == []
    assert manifest["declaration"] is None
    roots = [
        asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(pki.root_pem.read_bytes(), multiple=True)
    ]
    report = verify(
        io.BytesIO(package.zip_bytes()),
        trust_roots=roots,
        context=ValidationContext(trust_roots=roots, allow_fetching=False),
    )
    assert report.ok, report.problems
    assert report.key == f"{code}-RUT"
    with zipfile.ZipFile(io.BytesIO(package.zip_bytes())) as archive:
        assert sorted(archive.namelist()) == ["manifest.json", "manifest.xml"]
        assert json.loads(archive.read("manifest.json")) == manifest
        assert b"<RutHoSo>" in archive.read("manifest.xml")


def test_the_reference_back_office_refuses_a_withdrawal_of_a_dossier_it_never_received(
    make_app, citizen_key, reference
):
    reference.start()
    app = portal(make_app, reference)
    client = app.test_client()
    acknowledgement = page(apply(client, DEFINITION, citizen_key))
    status_url = acknowledgement.select_one('a[href$="/status"]')["href"]
    assert withdraw(client, status_url).status_code == 302
    from app.delivery.packages import build
    from tests.delivery.test_faults import post_package

    with app.app_context():
        package = build(db.session.scalars(select(Dossier)).one(), withdrawal=True)
    # Sent as a submission, it is what its sealed manifest says: refused.
    answer = post_package(reference, package.zip_bytes(), package.code)
    assert answer.status_code == 422
    assert "is sent as a submission but is a withdrawal" in answer.json()["title"]
    # Sent as a withdrawal, before the dossier itself: the back office has nothing to withdraw.
    poster = SignedPoster(TransportOptions(url=f"{reference.url}/packages", secret=REFERENCE_SECRET))
    headers = {"Idempotency-Key": package.code, "X-OpenDVC-Package": "withdrawal"}
    answer = poster.post(io.BytesIO(package.zip_bytes()), content_type="application/zip", headers=headers)
    assert answer.status_code == 422
    assert "to withdraw" in answer.json()["title"]
    assert reference.dossiers() == []
