"""The national portal's record (docs/dvcqg-mapping.md): the `dvcqg` adapter sends each dossier
as DongBoHoSoMC and the applicant's supplements and withdrawals as CapNhatTienDoHoSoMC, to the
reference back office, which checks every record against the JSON Schemas kept in docs/schemas;
each file's DuongDanTaiTepTin is a signed, expiring link the portal serves, and nothing else."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
from sqlalchemy import select

from app import clock
from app.backoffice import files, get_backoffices
from app.backoffice.dvcqg import envelope, record
from app.delivery.packages import build
from app.delivery.worker import deliver_due
from app.dossiers.models import Dossier, DossierEvent
from app.dossiers.status import Status
from app.extensions import db
from app.packaging.package import DossierPackage
from app.signing.models import DossierSignature
from app.storage import get_blobs
from app.supplements.models import Supplement
from tests.backoffice.fixtures import DEFINITION
from tests.conftest import TEST_CATALOG
from tests.events.test_events import event, post
from tests.factories import SubmittedFactory, resume_url, submitted
from tests.journey.test_withdrawal import withdraw
from tests.supplements.test_supplements import attach, sign

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "docs" / "dvcqg-mapping.md"
EVENTS_SECRET = "bí mật của cổng quốc gia cho sự kiện trạng thái"


def schema(service: str) -> dict:
    return json.loads(
        (ROOT / "docs" / "schemas" / f"dvcqg-{service}.schema.json").read_text(encoding="utf-8")
    )


def valid(body: dict) -> dict:
    jsonschema.Draft202012Validator(schema(body["service"])).validate(body)
    return body


def national_portal(make_app, reference, **config):
    return make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_DEFAULT="dvcqg",
        BACKOFFICE_OPTIONS={"dvcqg": reference.national_options()},
        BACKOFFICE_SECRETS={"dvcqg": EVENTS_SECRET},
        **config,
    )


def fetch(app, url: str):
    """GET a link the way the national portal would, on the portal itself."""
    parts = urlsplit(url)
    answer = app.test_client().get(parts.path, base_url=f"{parts.scheme}://{parts.netloc}")
    answer.get_data()  # read, then the file it streamed from is closed
    answer.close()
    return answer


# The table and the schemas ---------------------------------------------------------------------


def table_fields(section: str) -> list[str]:
    """The fields of the table under a heading of docs/dvcqg-mapping.md."""
    text = MAPPING.read_text(encoding="utf-8")
    start = text.index(section)
    following = re.search(r"\n#+ ", text[start + len(section) :])
    body = text[start : start + len(section) + (following.start() if following else len(text))]
    return re.findall(r"^\| `([A-Za-z]+)` \|", body, flags=re.MULTILINE)


@pytest.mark.parametrize(
    ("section", "service", "where"),
    [
        ("## The envelope", "DongBoHoSoMC", ()),
        ("## DongBoHoSoMC: the dossier", "DongBoHoSoMC", ("$defs", "HoSo")),
        ("### TaiLieuNop: a document filed", "DongBoHoSoMC", ("$defs", "TaiLieuNop")),
        ("### DanhSachLePhi: a fee", "DongBoHoSoMC", ("$defs", "DanhSachLePhi")),
        ("### DinhDanhCHS: an identification number", "DongBoHoSoMC", ("$defs", "DinhDanhCHS")),
        ("## CapNhatTienDoHoSoMC: a step", "CapNhatTienDoHoSoMC", ("$defs", "TienDo")),
    ],
)
def test_the_schemas_are_built_from_the_mapping_table(section, service, where):
    part = schema(service)
    for key in where:
        part = part[key]
    listed = table_fields(section)
    assert listed, section
    assert sorted(listed) == sorted(part["properties"]), section
    if where:  # every field of a record is always sent, "" when not known
        assert sorted(part["required"]) == sorted(listed)


def test_the_schemas_are_valid_schemas():
    for service in ("DongBoHoSoMC", "CapNhatTienDoHoSoMC"):
        jsonschema.Draft202012Validator.check_schema(schema(service))


# The record, from manifests ----------------------------------------------------------------------


def manifest(**changes) -> dict:
    base = {
        "kind": "submission",
        "dossier_code": "000.00.99.G09-261201-0001",
        "procedure": {
            "code": "1.004261",
            "name": "Cấp giấy phép",
            "agency_code": "000.00.99.G09",
            "agency_name": "Sở Tài nguyên và Môi trường",
            "field": {"code": "TNMT", "name": "Tài nguyên nước"},
            "fees": [{"name": "Lệ phí", "amount": 100000}],
        },
        "applicant": {"name": "Nguyễn Văn An", "identifier": "001085012345", "email": None, "phone": None},
        "submitted_at": "2026-11-27T23:30:00+07:00",
        "received_at": "2026-11-30T07:30:00+07:00",
        "due_on": "2026-12-03",
        "declaration": {"path": "don-de-nghi-da-ky.pdf", "sha256": "a" * 64},
        "files": [
            {"component": "TP1", "file_name": "so-do.pdf", "sha256": "b" * 64},
            {"component": "TP2", "file_name": "so-do.pdf", "sha256": "b" * 64},  # the same bytes twice
        ],
    }
    return base | changes


def link(code: str, sha256: str) -> str:
    return f"https://dichvucong.example.gov.vn/api/v1/files/{code}.{sha256[:8]}"


def test_the_dossier_record_holds_to_its_schema_and_says_when_it_was_sent_and_received():
    sent = record(manifest(), link)
    valid({"service": "DongBoHoSoMC", "isUpdating": "False", "data": [sent]})
    assert (sent["NgayNopHoSo"], sent["NgayTiepNhan"]) == ("20261127233000", "20261130073000")
    assert sent["NgayHenTra"] == "20261203170000"
    assert (sent["KenhThucHien"], sent["TrangThaiHoSo"], sent["NoiNopHoSo"]) == ("2", "1", "2")
    assert sent["DonViXuLy"] == "Sở Tài nguyên và Môi trường"
    assert sent["DinhDanhCHS"] == [{"LoaiDinhDanh": "1", "SoDinhDanh": "001085012345"}]
    assert (sent["TaiKhoanDuocXacThucVoiVNeID"], sent["DuocThanhToanTrucTuyen"]) == ("0", "0")
    ids = [f["TepDinhKemId"] for f in sent["TaiLieuNop"]]
    assert ids == [
        "000.00.99.G09-261201-0001.00",
        "000.00.99.G09-261201-0001.01",
        "000.00.99.G09-261201-0001.02",
    ]
    assert [f["MaThanhPhanHoSo"] for f in sent["TaiLieuNop"]] == ["DonDeNghi", "TP1", "TP2"]
    assert sent["TaiLieuNop"][1]["DuongDanTaiTepTin"] == link("000.00.99.G09-261201-0001", "b" * 64)


@pytest.mark.parametrize(
    ("applicant", "kind"),
    [
        ({"kind": "citizen", "identifier": "0100109106"}, "1"),  # the kind decides, not the number
        ({"kind": "foreigner", "identifier": None}, "1"),
        ({"kind": "business", "identifier": "001085012345"}, "2"),
        ({"kind": "organisation", "identifier": None}, "2"),
        ({"identifier": "001085012345"}, "1"),  # no kind recorded: the identifier tells
        ({"identifier": "0100109106"}, "2"),
        ({"kind": "something new", "identifier": "0100109106"}, "2"),
    ],
)
def test_the_kind_of_applicant_comes_from_the_applicant_kind(applicant, kind):
    sent = record(manifest(applicant={"name": "Công ty A", "email": None, "phone": None, **applicant}), link)
    assert sent["LoaiDoiTuong"] == kind


def test_fees_carry_their_code_kind_and_when_they_are_collected():
    fees = [
        {"code": "PHI-01", "kind": "phi", "name": "Phí thẩm định hồ sơ", "amount": 1500000},
        {"code": "LP-02", "kind": "le_phi", "name": "Lệ phí cấp giấy phép", "amount": None},  # fixed later
        {"name": "Phí khai thác tài liệu", "amount": 20000},  # before fees had codes and kinds
        {"name": "Lệ phí", "amount": 0},
    ]
    procedure = manifest()["procedure"] | {"fees": fees}
    sent = record(manifest(procedure=procedure), link)
    valid({"service": "DongBoHoSoMC", "isUpdating": "False", "data": [sent]})
    assert sent["DanhSachLePhi"] == [
        {
            "TenPhiLePhi": "Phí thẩm định hồ sơ",
            "MaPhiLePhi": "PHI-01",
            "HinhThucThu": "1",
            "Gia": "1500000",
            "LoaiPhiLePhi": "1",
        },
        {
            "TenPhiLePhi": "Lệ phí cấp giấy phép",
            "MaPhiLePhi": "LP-02",
            "HinhThucThu": "4",
            "Gia": "",
            "LoaiPhiLePhi": "2",
        },
        {
            "TenPhiLePhi": "Phí khai thác tài liệu",
            "MaPhiLePhi": "",
            "HinhThucThu": "1",
            "Gia": "20000",
            "LoaiPhiLePhi": "1",
        },
        {"TenPhiLePhi": "Lệ phí", "MaPhiLePhi": "", "HinhThucThu": "1", "Gia": "0", "LoaiPhiLePhi": "2"},
    ]
    assert "MucPhi" not in json.dumps(sent)


def package(kind: str, key: str, data: dict) -> DossierPackage:
    return DossierPackage(
        key, (), lambda sha256: open(sha256), data, kind
    )  # its blobs are never opened: no entries


def test_a_withdrawal_and_a_supplement_are_steps_of_progress():
    withdrawal = {
        "kind": "withdrawal",
        "dossier_code": "000.00.99.G09-261201-0001",
        "procedure": {"code": "1.004261"},
        "status": 7,
        "requested_at": "2026-12-02T09:15:00+07:00",
        "reason": "Nộp nhầm thủ tục",
    }
    body = valid(envelope(package("withdrawal", "000.00.99.G09-261201-0001-RUT", withdrawal), link))
    assert body["service"] == "CapNhatTienDoHoSoMC"
    assert "isUpdating" not in body
    step = body["data"][0]
    assert (step["TrangThai"], step["ThoiDiemXuLy"], step["NguoiXuLy"]) == (
        "7",
        "20261202091500",
        "Chủ hồ sơ",
    )
    assert step["NoiDungXuLy"] == "Công dân yêu cầu rút hồ sơ: Nộp nhầm thủ tục"
    supplement = manifest(
        kind="supplement",
        supplement={
            "number": 2,
            "requested_note": "…",
            "requested_at": None,
            "submitted_at": "2026-12-04T10:00:00+07:00",
        },
    )
    step = valid(envelope(package("supplement", "X-BS2", supplement), link))["data"][0]
    assert (step["TrangThai"], step["ThoiDiemXuLy"]) == ("5", "20261204100000")
    assert (step["NguoiXuLy"], step["NoiDungXuLy"]) == ("Nguyễn Văn An", "Công dân nộp bổ sung hồ sơ lần 2")


# Through the reference back office -------------------------------------------------------------


def test_a_submitted_dossier_reaches_the_national_portal_as_its_record(make_app, citizen_key, reference):
    reference.start()
    app = national_portal(make_app, reference)
    code = submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        assert deliver_due().delivered == [code]
        dossier = db.session.scalars(select(Dossier)).one()
        sent_at = db.session.scalars(
            select(DossierEvent.at).where(DossierEvent.to_status == Status.NEW)
        ).one()
        attachments = {a.sha256: a for a in dossier.attachments}
    [taken] = reference.national_records()
    assert (taken["key"], taken["service"]) == (code, "DongBoHoSoMC")
    body = valid(taken["body"])
    assert body["isUpdating"] == "False"
    [sent] = body["data"]
    assert sent["MaHoSo"] == code
    assert sent["NgayNopHoSo"] == sent_at.astimezone(clock.VIETNAM).strftime("%Y%m%d%H%M%S")
    assert sent["NgayTiepNhan"] == dossier.received_at.astimezone(clock.VIETNAM).strftime("%Y%m%d%H%M%S")
    assert sent["DonViXuLy"] == "Cơ quan thử nghiệm"
    assert sent["DanhSachLePhi"] == [
        {"TenPhiLePhi": "Lệ phí", "MaPhiLePhi": "", "HinhThucThu": "1", "Gia": "1500000", "LoaiPhiLePhi": "2"}
    ]
    ids = [f["TepDinhKemId"] for f in sent["TaiLieuNop"]]
    assert len(ids) == len(set(ids)) == 1 + len(attachments)

    # Every file at its link, the bytes that were filed, on the portal's public address.
    for listed in sent["TaiLieuNop"]:
        url = listed["DuongDanTaiTepTin"]
        assert url.startswith("http://127.0.0.1:5000/api/v1/files/")
        answer = fetch(app, url)
        assert answer.status_code == 200, listed
        digest = hashlib.sha256(answer.data).hexdigest()
        if listed["MaThanhPhanHoSo"] == "DonDeNghi":
            assert answer.mimetype == "application/pdf"
            assert answer.data.startswith(b"%PDF")
        else:
            assert attachments[digest].filename == listed["TenTepDinhKem"]
        assert "no-store" in answer.headers["Cache-Control"]


def test_the_same_record_twice_is_one_dossier_there(make_app, citizen_key, reference):
    reference.start()
    app = national_portal(make_app, reference)
    submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        dossier = db.session.scalars(select(Dossier)).one()
        sent = build(dossier)
        adapter = get_backoffices()["dvcqg"]
        first = adapter.submit(package=sent)
        assert adapter.submit(package=sent) == first  # the links differ (new expiry); the dossier does not
    assert [(d["code"], d["deliveries"]) for d in reference.dossiers()] == [(dossier.code, 2)]


def test_the_applicants_supplement_and_withdrawal_are_reported_as_progress(make_app, citizen_key, reference):
    reference.start()
    app = national_portal(make_app, reference)
    with app.test_request_context():
        made = SubmittedFactory(procedure=DEFINITION.code, key=citizen_key)
        code, base = made.dossier.code, f"/dossiers/{made.dossier.public_id}"
    client = app.test_client()
    client.get("/language/en")
    client.get(resume_url(made))
    with app.app_context():
        assert deliver_due().delivered == [code]
    assert post(client, event(code, 1, 2), secret=EVENTS_SECRET, name="dvcqg").json["title"] == "applied"
    assert (
        post(client, event(code, 2, 5, "Bổ sung"), secret=EVENTS_SECRET, name="dvcqg").json["title"]
        == "applied"
    )
    assert attach(client, base).status_code == 302
    assert sign(client, base, citizen_key).status_code == 302
    with app.app_context():
        assert deliver_due().delivered == [f"{code}-BS1"]
    stored = {d["code"]: d["kind"] for d in reference.dossiers()}
    assert stored == {code: "submission", f"{code}-BS1": "supplement"}  # the supplement's package too
    taken = reference.national_records()[-1]
    assert (taken["key"], taken["service"]) == (f"{code}-BS1", "CapNhatTienDoHoSoMC")
    [step] = valid(taken["body"])["data"]
    assert (step["MaHoSo"], step["TrangThai"]) == (code, "5")
    assert step["NoiDungXuLy"] == "Công dân nộp bổ sung hồ sơ lần 1"
    with app.app_context():  # the supplement's file and declaration have their links too
        supplement = db.session.scalars(select(Supplement)).one()
        links = files.links()
        urls = [links(code, supplement.files[0].sha256), links(code, supplement.signed_sha256)]
    assert [fetch(app, url).status_code for url in urls] == [200, 200]

    # The applicant withdraws from the tracking page; the request goes out through the outbox.
    assert withdraw(client, f"{base}/status", reason="Không còn nhu cầu").status_code == 302
    with app.app_context():
        assert deliver_due().delivered == [f"{code}-RUT"]
    taken = reference.national_records()[-1]
    assert (taken["key"], taken["service"]) == (f"{code}-RUT", "CapNhatTienDoHoSoMC")
    [step] = valid(taken["body"])["data"]
    assert step["MaHoSo"] == code
    assert step["TrangThai"] == "7"
    assert step["NoiDungXuLy"] == "Công dân yêu cầu rút hồ sơ: Không còn nhu cầu"


def test_a_record_the_schema_refuses_is_refused_there(make_app, citizen_key, reference):
    """The reference back office holds records to the schemas: one the adapter would send
    wrongly never passes for delivered."""
    reference.start()
    app = national_portal(make_app, reference)
    code = submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        adapter = get_backoffices()["dvcqg"]
        odd = package(
            "withdrawal", f"{code}-RUT", {"kind": "withdrawal", "dossier_code": code, "requested_at": None}
        )
        with pytest.raises(Exception, match="refused \\(400\\)"):
            adapter.submit(package=odd)  # ThoiDiemXuLy "": not a date
    assert reference.national_records() == []


# The links ---------------------------------------------------------------------------------------


def test_a_link_serves_only_that_dossiers_file_and_only_while_it_holds(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG)
    first = submitted(app, DEFINITION, citizen_key)
    second = submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        found = {d.code: [a.sha256 for a in d.attachments] for d in db.session.scalars(select(Dossier))}
        mine = found[first][0]
        ids = {d.code: d.id for d in db.session.scalars(select(Dossier))}
        theirs = db.session.scalars(
            select(DossierSignature.signed_sha256).where(DossierSignature.dossier_id == ids[second])
        ).one()  # the other dossier's signed declaration
        stranger = get_blobs().put(b"a file of no dossier")
        secret = app.config["SECRET_KEY"]
        links = files.links()
        good = links(first, mine)
        expired = files.Links(
            secret=secret, public_url="http://127.0.0.1:5000", hours=1, now=clock.now() - timedelta(hours=2)
        )
        other_secret = files.Links(
            secret="x" * 64, public_url="http://127.0.0.1:5000", hours=1, now=clock.now()
        )
    assert fetch(app, good).status_code == 200
    assert fetch(app, links(second, theirs)).status_code == 200  # its own dossier's, it is served
    refused = [
        links(second, stranger),  # signed, but the file is no dossier's
        links(first, theirs),  # another dossier's file, under this dossier's code
        links("000.00.99.G09-000000-0000", mine),  # no such dossier
        expired(first, mine),
        other_secret(first, mine),  # forged: not the portal's signature
        good[:-3] + ("abc" if not good.endswith("abc") else "xyz"),  # tampered
        "http://127.0.0.1:5000/api/v1/files/not-a-token",
        "http://127.0.0.1:5000/api/v1/files/" + "A" * 5000,
        "http://127.0.0.1:5000/api/v1/files/a/b/c",
    ]
    for url in refused:
        answer = fetch(app, url)
        assert answer.status_code == 404, url
        assert answer.json["title"] == "Not Found"


def test_a_link_to_a_file_gone_from_the_store_is_a_404(make_app, citizen_key):
    app = make_app(CATALOG_DIR=TEST_CATALOG)
    code = submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        sha256 = db.session.scalars(select(Dossier)).one().attachments[0].sha256
        url = files.links()(code, sha256)
        get_blobs().path(sha256).unlink()
    assert fetch(app, url).status_code == 404
