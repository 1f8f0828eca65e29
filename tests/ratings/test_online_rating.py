"""The applicant rates the service online once the result is given (the kiosk's question, one
store, one staff page): on the tracking page, with CSRF and the dossier's secret, refused before
the result, a bad score told in the applicant's language; rating again changes it. Each rating,
the kiosk's too, goes to the back office through the outbox (kind "rating", `<code>-DG<n>`),
after the dossier's earlier messages, by the real worker to the reference back office."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import requests
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from app.catalog.loader import load_folder
from app.config import PACKAGE_DIR
from app.delivery.packages import build
from app.delivery.worker import deliver_due
from app.dossiers.models import Dossier
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.packaging.verify import verify
from app.ratings.models import Rating
from tests.backoffice.fixtures import DEFINITION, SECRET
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.events import event_body, post_event
from tests.journey import apply
from tests.kiosk import public_id_of

MESSAGES = {
    "en": {
        "bad": "Choose how satisfied you are, from 1 to 5",
        "none": "Choose how satisfied you are",
        "early": "You can rate the service once the agency has given the result of your dossier.",
        "thanks": "Thank you. Your rating has been sent to the agency.",
        "rated": "Your rating: Dissatisfied. You can change it.",
    },
    "vi": {
        "bad": "Chọn mức độ hài lòng của bạn, từ 1 đến 5",
        "none": "Chọn mức độ hài lòng của bạn",
        "early": "Bạn có thể đánh giá dịch vụ sau khi cơ quan trả kết quả hồ sơ.",
        "thanks": "Cảm ơn bạn. Đánh giá của bạn đã được gửi tới cơ quan.",
        "rated": "Đánh giá của bạn: Không hài lòng. Bạn có thể thay đổi.",
    },
}


def portal(make_app, reference, *, adapter: str = "http", **config):
    options = reference.options() if adapter == "http" else reference.national_options()
    return make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_DEFAULT=adapter,
        BACKOFFICE_OPTIONS={adapter: options},
        BACKOFFICE_SECRETS={adapter: SECRET},
        DELIVERY_BACKOFF_SECONDS=60,
        WTF_CSRF_ENABLED=True,
        **config,
    )


def finish(client, code: str, *, name: str) -> None:
    """The back office accepts, processes and finishes the dossier (statuses 2, 4, 9)."""
    for sequence, status in enumerate((2, 4, 9), 1):
        answer = post_event(client, event_body(code, sequence, status), name=name)
        assert answer.json["title"] == "applied", answer.json


def rate(client, rating_url: str, score: str | None, *, token_from: str):
    data = {"csrf_token": csrf_token(client.get(token_from))}
    if score is not None:
        data["score"] = score
    return client.post(rating_url, data=data)


def messages(app) -> list[tuple[str, str, dict | None]]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(m.kind, m.idempotency_key, m.payload) for m in rows]


def ratings_at(reference) -> list[dict]:
    return requests.get(f"{reference.url}/ratings", timeout=10).json()


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_rating_online_after_the_result_reaches_the_reference_back_office(
    make_app, citizen_key, reference, locale
):
    said = MESSAGES[locale]
    reference.start()
    app = portal(make_app, reference)
    client = app.test_client()
    client.get(f"/language/{locale}")
    acknowledgement = page(apply(client, DEFINITION, citizen_key))
    code = acknowledgement.select_one(".dossier-code").get_text(strip=True)
    status_url = acknowledgement.select_one('a[href$="/status"]')["href"]
    rating_url = status_url.removesuffix("/status") + "/rating"

    # Before the result: no form on the tracking page, and a rating sent anyway is refused.
    assert page(client.get(status_url)).select_one("form.rating-form") is None
    early = client.get(rating_url)
    assert early.status_code == 409
    assert page(early).select_one(".not-ratable").get_text(strip=True) == said["early"]
    assert rate(client, rating_url, "5", token_from="/track").status_code == 409
    with app.app_context():
        assert db.session.scalars(select(Rating)).all() == []

    finish(client, code, name="http")
    tracking = page(client.get(status_url))
    form = tracking.select_one("form.rating-form")
    assert form is not None
    assert form["action"] == rating_url
    assert len(form.select("input[name=score]")) == 5
    assert tracking.select_one(".rating .rated") is None

    for bad, message in (("7", said["bad"]), ("abc", said["bad"]), (None, said["none"])):
        refused = rate(client, rating_url, bad, token_from=status_url)
        assert refused.status_code == 400
        shown = page(refused)
        assert shown.select_one(".error-summary a").get_text(strip=True) == message
        assert shown.select_one("#score-error").get_text(strip=True) == message
    assert client.post(rating_url, data={"score": "4"}).status_code == 400  # no CSRF token
    stranger = app.test_client()  # without the dossier's secret
    assert stranger.get(rating_url).status_code == 404
    token = csrf_token(stranger.get("/track"))
    assert stranger.post(rating_url, data={"csrf_token": token, "score": "1"}).status_code == 404
    assert [k for k, *_ in messages(app)] == ["submission"]

    given = rate(client, rating_url, "4", token_from=status_url)
    assert given.status_code == 302
    assert said["thanks"] in page(client.get(given.headers["Location"])).text
    changed = rate(client, rating_url, "2", token_from=status_url)  # rating again changes it
    assert changed.status_code == 302
    shown = page(client.get(status_url))
    assert shown.select_one(".rating .rated").get_text(strip=True) == said["rated"]
    assert shown.select_one("form.rating-form input[name=score][checked]")["value"] == "2"
    with app.app_context():
        rating = db.session.scalars(select(Rating)).one()
        assert (rating.score, rating.channel) == (2, "online")
    queued = messages(app)
    assert [(k, key) for k, key, _ in queued] == [
        ("submission", code),
        ("rating", f"{code}-DG1"),
        ("rating", f"{code}-DG2"),
    ]
    assert [(p["number"], p["score"], p["channel"]) for *_, p in queued[1:]] == [
        (1, 4, "online"),
        (2, 2, "online"),
    ]

    with app.app_context():
        outcome = deliver_due()
    assert outcome.delivered == [code, f"{code}-DG1", f"{code}-DG2"]  # in order: the dossier first
    assert [reference.next_stored() for _ in range(3)] == [code, f"{code}-DG1", f"{code}-DG2"]
    [kept] = ratings_at(reference)
    assert (kept["code"], kept["number"], kept["score"], kept["channel"]) == (code, 2, 2, "online")
    assert kept["rated_at"].endswith("+07:00")
    kinds = {d["code"]: d["kind"] for d in reference.dossiers()}
    assert kinds[f"{code}-DG1"] == kinds[f"{code}-DG2"] == "rating"


def test_the_rating_package_is_sealed_and_says_what_was_rated(make_app, citizen_key, reference, pki):
    reference.start()
    app = portal(make_app, reference)
    client = app.test_client()
    acknowledgement = page(apply(client, DEFINITION, citizen_key))
    code = acknowledgement.select_one(".dossier-code").get_text(strip=True)
    status_url = acknowledgement.select_one('a[href$="/status"]')["href"]
    finish(client, code, name="http")
    rating_url = status_url.removesuffix("/status") + "/rating"
    assert rate(client, rating_url, "5", token_from=status_url).status_code == 302
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "rating")).one()
        package = build(db.session.scalars(select(Dossier)).one(), rating=message.payload)
    assert (package.kind, package.code) == ("rating", f"{code}-DG1")
    manifest = package.manifest
    assert manifest["kind"] == "rating"
    assert manifest["rating"]["number"] == 1
    assert manifest["rating"]["score"] == 5
    assert manifest["rating"]["channel"] == "online"
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
    assert report.key == f"{code}-DG1"
    with zipfile.ZipFile(io.BytesIO(package.zip_bytes())) as archive:
        assert sorted(archive.namelist()) == ["manifest.json", "manifest.xml"]
        assert json.loads(archive.read("manifest.json")) == manifest
        xml = archive.read("manifest.xml")
    assert b"<MucDoHaiLong>5</MucDoHaiLong>" in xml
    assert b"<LanDanhGia>1</LanDanhGia>" in xml


def test_through_the_dvcqg_adapter_the_rating_goes_as_the_package_alone(make_app, citizen_key, reference):
    reference.start()
    app = portal(make_app, reference, adapter="dvcqg")
    client = app.test_client()
    acknowledgement = page(apply(client, DEFINITION, citizen_key))
    code = acknowledgement.select_one(".dossier-code").get_text(strip=True)
    status_url = acknowledgement.select_one('a[href$="/status"]')["href"]
    finish(client, code, name="dvcqg")
    rating_url = status_url.removesuffix("/status") + "/rating"
    assert rate(client, rating_url, "3", token_from=status_url).status_code == 302
    with app.app_context():
        outcome = deliver_due()
    assert outcome.delivered == [code, f"{code}-DG1"]
    [kept] = ratings_at(reference)
    assert (kept["code"], kept["score"], kept["channel"]) == (code, 3, "online")
    # the national portal's records: the dossier's; the rating has none of its own
    assert [r["key"] for r in reference.national_records()] == [code]


def test_the_kiosks_rating_travels_too_and_staff_see_both_channels(make_app, citizen_key, reference):
    reference.start()
    app = make_app(
        KIOSK=True,
        WTF_CSRF_ENABLED=True,
        BACKOFFICE_DEFAULT="http",
        BACKOFFICE_OPTIONS={"http": reference.options()},
        BACKOFFICE_SECRETS={"http": SECRET},
    )
    shipped = load_folder(PACKAGE_DIR / "catalog" / "procedures")
    definition = shipped["1.009780"].definition
    kiosk = app.test_client()
    kiosk.get("/language/en")
    at_kiosk = apply(kiosk, definition, citizen_key)
    kiosk_code = page(at_kiosk).select_one(".dossier-code").get_text(strip=True)
    url = f"/kiosk/dossiers/{public_id_of(at_kiosk.request.path)}/rating"
    form = kiosk.get(url)
    assert kiosk.post(url, data={"csrf_token": csrf_token(form), "score": "5"}).status_code == 200

    online = app.test_client()
    online.get("/language/en")
    acknowledgement = page(apply(online, definition, citizen_key))
    code = acknowledgement.select_one(".dossier-code").get_text(strip=True)
    status_url = acknowledgement.select_one('a[href$="/status"]')["href"]
    finish(online, code, name="http")
    online_rating = status_url.removesuffix("/status") + "/rating"
    assert rate(online, online_rating, "3", token_from=status_url).status_code == 302

    with app.app_context():
        outcome = deliver_due()
    assert f"{kiosk_code}-DG1" in outcome.delivered
    assert f"{code}-DG1" in outcome.delivered
    found = {r["code"]: (r["score"], r["channel"]) for r in ratings_at(reference)}
    assert found == {kiosk_code: (5, "kiosk"), code: (3, "online")}

    password = "mật khẩu đủ dài của cán bộ"
    added = app.test_cli_runner().invoke(args=["staff", "add", "lan"], input=f"{password}\n{password}\n")
    assert added.exit_code == 0, added.output
    staff = app.test_client()
    staff.get("/language/en")
    login = staff.get("/staff/login")
    staff.post(
        "/staff/login", data={"csrf_token": csrf_token(login), "username": "lan", "password": password}
    )
    row = page(staff.get("/staff/ratings")).select_one("table.ratings tbody tr")
    assert row.select_one(".procedure").get_text(strip=True) == "1.009780"
    assert row.select_one(".channel-kiosk").get_text(strip=True) == "1"
    assert row.select_one(".channel-online").get_text(strip=True) == "1"
    assert row.select_one(".total").get_text(strip=True) == "2"
