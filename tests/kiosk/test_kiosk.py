"""Kiosk mode over HTTP (issue 11 §1): the switch and the entry, the ID card scan, the wipe on
the server when a person leaves, no-store on dossier pages, the slip and the rating."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from app.catalog.loader import load_folder
from app.config import PACKAGE_DIR, ConfigError, load_settings
from app.dossiers.models import Attachment, Dossier
from app.extensions import db
from app.kiosk.scan import IdCard, MalformedScan, answers_for, parse
from app.ratings.models import Rating
from app.storage import get_blobs
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.factories import AcceptedFactory, resume_url
from tests.files import sample_for
from tests.journey import apply, upload
from tests.kiosk import public_id_of, start

SHIPPED = load_folder(PACKAGE_DIR / "catalog" / "procedures")
DATA = next(p for p in SHIPPED.values() if p.definition.code == "1.009780")  # data request: citizen or body
GOOD = (
    "001099012345|123456789|Nguyễn Thị Thu Hà|15031990|Nữ|12 Lê Thánh Tông, Phường Hoàn Kiếm, Hà Nội|10082021"
)


def scan(client, scan_url: str, text: str):
    form = client.get(scan_url)
    return client.post(scan_url, data={"csrf_token": csrf_token(form), "scan": text})


def dossier_of(app: Flask, public_id: str) -> Dossier | None:
    with app.app_context():
        found = db.session.scalars(db.select(Dossier).where(Dossier.public_id == public_id)).one_or_none()
        if found is not None:
            db.session.expunge(found)
        return found


# The switch and the entry


def test_the_switch_puts_every_page_in_the_kiosk_layout(kiosk):
    for url in ("/", "/kiosk/", "/track"):
        doc = page(kiosk.get(url))
        assert "kiosk" in doc.body["class"], url
        bar = doc.select_one("#kiosk-bar")
        assert bar["data-idle-seconds"] == "120"
        assert bar["data-warning-seconds"] == "30"
        assert bar.select_one("form#kiosk-start-again button").get_text(strip=True) == "Start again"
        assert {a.get_text(strip=True) for a in bar.select(".kiosk-languages [lang]")} == {
            "Tiếng Việt",
            "English",
        }
        assert doc.select_one("#kiosk-idle")["role"] == "alertdialog"
        assert doc.select_one('script[src$="kiosk.js"]')
        assert doc.select_one('link[href$="kiosk.css"]')


def test_without_the_switch_the_portal_is_no_kiosk_until_the_kiosk_entry(client):
    assert page(client.get("/")).select_one("#kiosk-bar") is None
    entry = page(client.get("/kiosk/"))
    assert entry.select_one("#kiosk-bar") is not None
    assert entry.select(".kiosk-choices button.kiosk-choice")  # one button per procedure
    assert page(client.get("/")).select_one("#kiosk-bar") is not None  # this browser is a kiosk now


def test_kiosk_pages_have_no_inline_script_or_style(kiosk, kiosk_app):
    scan_url = start(kiosk)
    for url in ("/kiosk/", scan_url, scan_url.replace("/kiosk", "").replace("/scan", "/steps/requester")):
        doc = page(kiosk.get(url))
        assert not doc.select("style, [style]"), url
        assert all(s.get("src") for s in doc.select("script")), url


# The ID card scan


def test_the_parser_reads_a_card():
    card = parse(GOOD + "\r\n")
    assert card == IdCard(
        "001099012345",
        "123456789",
        "Nguyễn Thị Thu Hà",
        date(1990, 3, 15),
        "female",
        "12 Lê Thánh Tông, Phường Hoàn Kiếm, Hà Nội",
        date(2021, 8, 10),
    )
    assert parse(GOOD.replace("|123456789|", "||")).old_number is None  # cards issued without a CMND


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "hello",
        GOOD + "|extra",
        GOOD.replace("001099012345", "00109901234"),  # 11 digits
        GOOD.replace("001099012345", "999099012345"),  # no such province
        GOOD.replace("15031990", "31021990"),  # 31 February
        GOOD.replace("10082021", "1008202"),
        GOOD.replace("|Nữ|", "|X|"),
        GOOD.replace("Nguyễn Thị Thu Hà", ""),
        GOOD.replace("|123456789|", "|12345|"),
    ],
)
def test_the_parser_refuses_anything_else(bad):
    with pytest.raises(MalformedScan):
        parse(bad)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=0, max_size=9).map("|".join))
def test_any_text_is_read_or_refused_never_an_error(text):
    card, message = None, ""
    try:
        card = parse(text)
    except MalformedScan as refusal:
        message = str(refusal.message)
    assert card is not None or message
    assert card is None or len(card.number) == 12


def test_the_answers_a_card_fills():
    answers = answers_for(DATA.definition, parse(GOOD))
    assert answers == {
        "applicant_type": "citizen",
        "personal_id": "001099012345",
        "full_name": "Nguyễn Thị Thu Hà",
        "address": {"street": "12 Lê Thánh Tông", "ward": "Phường Hoàn Kiếm", "province": "Hà Nội"},
    }


def test_a_scan_fills_the_applicant_and_the_step_shows_it(kiosk, kiosk_app):
    scan_url = start(kiosk)
    response = scan(kiosk, scan_url, GOOD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/steps/requester")
    assert dossier_of(kiosk_app, public_id_of(scan_url)).answers["personal_id"] == "001099012345"
    step = page(kiosk.get(response.headers["Location"]))
    assert step.select_one("input[name=full_name]")["value"] == "Nguyễn Thị Thu Hà"
    assert step.select_one("input[name=personal_id]")["value"] == "001099012345"
    assert step.select_one("input[name=address-province]")["value"] == "Hà Nội"


@pytest.mark.parametrize(
    ("locale", "bad", "message"),
    [
        ("en", "not a card", "This is not the QR code of a chip ID card"),
        ("vi", "not a card", "Đây không phải mã QR của thẻ căn cước gắn chip"),
        ("en", GOOD.replace("001099012345", "0010990123"), "The card number in the QR code is not valid"),
        ("vi", GOOD.replace("001099012345", "0010990123"), "Số thẻ trong mã QR không hợp lệ"),
        ("en", GOOD.replace("15031990", "99999999"), "The dates in the QR code could not be read"),
        ("vi", GOOD.replace("15031990", "99999999"), "Không đọc được ngày tháng trong mã QR"),
    ],
)
def test_a_malformed_scan_says_so_and_fills_nothing(kiosk, kiosk_app, locale, bad, message):
    kiosk.get(f"/language/{locale}")
    scan_url = start(kiosk)
    response = scan(kiosk, scan_url, bad)
    assert response.status_code == 400
    doc = page(response)
    assert doc.html["lang"] == locale
    assert doc.select_one(".scan-error").get_text(strip=True).startswith(message)
    assert dossier_of(kiosk_app, public_id_of(scan_url)).answers == {}


# The wipe when a person leaves


def test_start_again_deletes_the_draft_and_its_files_and_forgets_the_secrets(kiosk, kiosk_app):
    scan_url = start(kiosk)
    public_id = public_id_of(scan_url)
    documents_url = f"/dossiers/{public_id}/documents"
    name, content = sample_for(["pdf"])
    assert upload(kiosk, documents_url, "TP1", name, content).status_code == 302
    with kiosk_app.app_context():
        sha256 = db.session.scalars(db.select(Attachment.sha256)).one()
        blob = get_blobs().path(sha256)
    assert blob.exists()
    documents = kiosk.get(documents_url)
    assert documents.status_code == 200

    response = kiosk.post("/kiosk/start-again", data={"csrf_token": csrf_token(documents), "reason": "idle"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/kiosk/?ended=idle"
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert dossier_of(kiosk_app, public_id) is None
    with kiosk_app.app_context():
        assert db.session.scalars(db.select(Attachment)).all() == []
    assert not blob.exists()
    with kiosk.session_transaction() as session:
        assert "dossiers" not in session
        assert "locale" not in session
    # Going back shows nothing of the person before.
    assert kiosk.get(documents_url).status_code == 404
    assert kiosk.get(scan_url).status_code == 404
    ended = page(kiosk.get(response.headers["Location"]))  # in the kiosk's language, not theirs
    assert ended.html["lang"] == "vi"
    assert "không có ai chạm vào màn hình" in ended.select_one(".notice").get_text()


def test_a_file_another_dossier_holds_is_kept(kiosk, kiosk_app):
    name, content = sample_for(["pdf"])
    first, second = public_id_of(start(kiosk)), None
    assert upload(kiosk, f"/dossiers/{first}/documents", "TP1", name, content).status_code == 302
    other = kiosk_app.test_client()  # another person, at another terminal
    second = public_id_of(start(other))
    assert upload(other, f"/dossiers/{second}/documents", "TP1", name, content).status_code == 302
    entry = kiosk.get("/kiosk/")
    kiosk.post("/kiosk/start-again", data={"csrf_token": csrf_token(entry)})
    assert dossier_of(kiosk_app, first) is None
    assert dossier_of(kiosk_app, second) is not None
    with kiosk_app.app_context():
        sha256 = db.session.scalars(db.select(Attachment.sha256)).one()
        assert get_blobs().path(sha256).exists()


@pytest.mark.parametrize("text", ["\x00" * 20, "|" * 6, "x" * 5000, GOOD.replace("|", "\r\n")])
def test_odd_scans_get_a_message_never_a_500(kiosk, kiosk_app, text):
    scan_url = start(kiosk)
    response = scan(kiosk, scan_url, text)
    assert response.status_code == 400
    assert page(response).select_one(".scan-error").get_text(strip=True)
    assert dossier_of(kiosk_app, public_id_of(scan_url)).answers == {}


def test_start_again_needs_the_form(kiosk):
    assert kiosk.post("/kiosk/start-again").status_code == 400


def test_a_submitted_dossier_is_kept_but_forgotten(kiosk, kiosk_app, citizen_key):
    acknowledgement = apply(kiosk, DATA.definition, citizen_key)
    assert acknowledgement.status_code == 200
    code = page(acknowledgement).select_one(".dossier-code").get_text(strip=True)
    url = acknowledgement.request.path
    kiosk.post("/kiosk/start-again", data={"csrf_token": csrf_token(kiosk.get("/kiosk/"))})
    with kiosk_app.app_context():
        assert db.session.scalars(db.select(Dossier).where(Dossier.code == code)).one()
    assert kiosk.get(url).status_code == 404


# no-store


def test_dossier_pages_are_never_stored(kiosk, client):
    scan_url = start(kiosk)
    public_id = public_id_of(scan_url)
    for url in (
        scan_url,
        f"/dossiers/{public_id}/steps/requester",
        f"/dossiers/{public_id}/documents",
        f"/dossiers/{public_id}/review",
        "/kiosk/",
        "/track",
    ):
        response = kiosk.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    assert kiosk.get(f"/dossiers/{public_id}/sign").headers["Cache-Control"] == "no-store"  # a redirect too
    assert client.get("/dossiers/nothing/review").headers["Cache-Control"] == "no-store"  # the 404 too


# The slip and the rating


def test_the_slip_prints_in_both_layouts_with_a_tracking_qr(kiosk, citizen_key):
    acknowledgement = apply(kiosk, DATA.definition, citizen_key)
    public_id = public_id_of(acknowledgement.request.path)
    bar = page(acknowledgement).select_one("#kiosk-bar")
    assert bar.select_one("a.kiosk-slip")["href"] == f"/kiosk/dossiers/{public_id}/slip?layout=80mm"
    code = page(acknowledgement).select_one(".dossier-code").get_text(strip=True)
    for layout, css in (("80mm", "receipt-kiosk.css"), ("a4", "receipt-a4.css")):
        slip = kiosk.get(f"/kiosk/dossiers/{public_id}/slip?layout={layout}")
        assert slip.status_code == 200
        doc = page(slip)
        assert doc.select_one(f'link[href$="{css}"]')
        assert doc.select_one(".slip .code").get_text(strip=True) == code
        assert doc.select_one(".slip img.qr")["src"].startswith("data:image/svg+xml")
        assert doc.select(".slip .received-documents li")
        assert doc.select_one(".slip .expected").get_text(strip=True)
    assert kiosk.get(f"/kiosk/dossiers/{public_id}/slip?layout=a5").status_code == 404


def test_a_rating_is_stored_per_dossier_and_counted_for_staff(kiosk, kiosk_app, citizen_key):
    acknowledgement = apply(kiosk, DATA.definition, citizen_key)
    public_id = public_id_of(acknowledgement.request.path)
    url = f"/kiosk/dossiers/{public_id}/rating"
    form = kiosk.get(url)
    assert len(page(form).select("input[name=score]")) == 5
    assert kiosk.post(url, data={"csrf_token": csrf_token(form), "score": "9"}).status_code == 400
    assert kiosk.post(url, data={"csrf_token": csrf_token(form), "score": "2"}).status_code == 200
    assert kiosk.post(url, data={"csrf_token": csrf_token(form), "score": "4"}).status_code == 200  # changed
    with kiosk_app.app_context():
        rating = db.session.scalars(db.select(Rating)).one()
        assert (rating.score, rating.procedure_code) == (4, "1.009780")

    password = "mật khẩu đủ dài của cán bộ"
    added = kiosk_app.test_cli_runner().invoke(
        args=["staff", "add", "lan"], input=f"{password}\n{password}\n"
    )
    assert added.exit_code == 0, added.output
    staff = kiosk_app.test_client()
    staff.get("/language/en")
    login = staff.get("/staff/login")
    staff.post(
        "/staff/login", data={"csrf_token": csrf_token(login), "username": "lan", "password": password}
    )
    row = page(staff.get("/staff/ratings")).select_one("table.ratings tbody tr")
    assert row.select_one(".procedure").get_text(strip=True) == "1.009780"
    assert row.select_one(".score-4").get_text(strip=True) == "1"
    assert row.select_one(".total").get_text(strip=True) == "1"


def test_a_draft_cannot_be_rated_and_staff_counts_need_a_sign_in(kiosk, client):
    public_id = public_id_of(start(kiosk))
    assert kiosk.get(f"/kiosk/dossiers/{public_id}/rating").status_code == 404
    assert client.get("/staff/ratings").status_code == 302


def test_the_card_pin_field_is_never_remembered(kiosk, kiosk_app):
    public_id = public_id_of(start(kiosk))
    sign = page(kiosk.get(f"/dossiers/{public_id}/sign"))
    for field in sign.select("input[name=pin]"):
        assert field["type"] == "password"
        assert field["autocomplete"] == "off"
        assert field.find_parent("form")["method"] == "post"


def test_once_accepted_the_slip_is_the_receipt_in_the_same_layouts(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG, KIOSK=True)
    with app.test_request_context():
        made = AcceptedFactory(key=citizen_key, promised_on="2099-01-02")
        public_id = made.dossier.public_id
    client = app.test_client()
    client.get(resume_url(made))
    for layout, receipt in (("80mm", "kiosk"), ("a4", "a4")):
        slip = client.get(f"/kiosk/dossiers/{public_id}/slip?layout={layout}")
        assert slip.status_code == 302
        assert slip.headers["Location"] == f"/dossiers/{public_id}/receipt?layout={receipt}"
        doc = page(client.get(slip.headers["Location"]))
        assert doc.select_one(".promised").get_text(strip=True) == "02/01/2099"
        assert doc.select_one(f'link[href$="receipt-{receipt}.css"]')


def test_the_switch_is_read_from_the_environment(tmp_path):
    settings = load_settings(tmp_path, environ={"OPENDVC_KIOSK": "true", "OPENDVC_KIOSK_IDLE_SECONDS": "90"})
    assert settings.KIOSK is True
    assert settings.KIOSK_IDLE_SECONDS == 90
    assert load_settings(tmp_path, environ={}).KIOSK is False
    with pytest.raises(ConfigError, match="KIOSK_IDLE_SECONDS"):
        load_settings(tmp_path, environ={"OPENDVC_KIOSK_IDLE_SECONDS": "5"})
