"""A licence with fee tiers, cases, an authorised submitter and a liên danh (issue 10 §4), driven
end to end over HTTP: Cấp giấy phép thăm dò khoáng sản, as shipped."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from app.catalog.loader import load_folder
from app.clock import VIETNAM
from app.config import PACKAGE_DIR
from app.delivery.packages import build
from app.dossiers.calendar import get_calendar
from app.dossiers.models import Dossier
from app.extensions import db
from tests.conftest import csrf_token, page
from tests.files import sample_for
from tests.journey import attach_required, required_on, sign_with_pkcs12, start, submit, upload, valid_pairs

CATALOG = Path(PACKAGE_DIR / "catalog" / "procedures")
CODE = "1.000793"
LICENCE = load_folder(CATALOG)[CODE].definition

AUTHORISED_AUCTION = {
    "organisation_kind": [("organisation_kind", "organisation")],
    "filed_by": [("filed_by", "authorised")],
    "proxy_name": [("proxy_name", "Trần Văn Nam")],
    "partners": [
        ("partners-0-partner_name", "Công ty CP Khoáng sản Lào Cai"),
        ("partners-0-partner_code", "0100109106"),
    ],
    "exploration_case": [("exploration_case", "trung_dau_gia")],
    "area_ha": [("area_ha", "250")],
}


def fill(client, definition, first_url: str, overrides: dict[str, list[tuple[str, str]]]) -> str:
    """Every step with valid answers, the ones in `overrides` as given: the documents page URL."""
    url = first_url
    for step in definition.form.steps:
        form_page = client.get(url)
        assert form_page.status_code == 200, url
        data = [("csrf_token", csrf_token(form_page)), ("action", "continue")]
        for spec in step.fields:
            data.extend(overrides.get(spec.name) or valid_pairs(spec, spec.name))
        response = client.post(url, data=MultiDict(data))
        assert response.status_code == 302, page(response).select(".error-summary")
        url = response.headers["Location"]
    return url


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "declaration.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def test_the_procedure_page_shows_the_published_record(client):
    client.get("/language/en")
    doc = page(client.get(f"/procedures/{CODE}"))
    assert (
        doc.select_one("dd.deciding-agency").get_text(strip=True)
        == "Ministry of Natural Resources and Environment"
    )
    assert doc.select_one("dd.applicant-kinds").get_text(strip=True) == "Businesses, Other organisations"
    assert "A person the organisation authorises in writing" in doc.select_one("dd.filed-by").get_text()
    assert "at most 48 months" in doc.select_one("dd.result-validity").get_text()
    assert doc.select_one("ol.process-steps li strong").get_text() == "Filing"
    assert len(doc.select("ol.process-steps li")) == 5
    assert [tr.get_text(" ", strip=True) for tr in doc.select("table.fee-tiers tr")] == [
        "under 100 ha ₫4,000,000",
        "from 100 to 50,000 ha ₫10,000,000",
        "over 50,000 ha ₫15,000,000",
    ]
    fee = doc.select_one("dd.fees .fee")
    assert fee["data-code"] == "LP.GPTDKS"
    assert "Charge (lệ phí)" in fee.get_text()
    assert doc.select_one("#component-TP2 .original").get_text() == "Original"
    assert doc.select_one("#component-TP5 .original").get_text() == "Copy"
    assert doc.select_one("#component-TP2 .copies").get_text() == "1"
    assert (
        "Only in the case: Area whose mining-right auction" in doc.select_one("#component-TP_DG").get_text()
    )
    assert "Only when an authorised person files" in doc.select_one("#component-TP_UQ").get_text()
    client.get("/language/vi")
    doc = page(client.get(f"/procedures/{CODE}"))
    assert doc.select_one("dd.deciding-agency").get_text(strip=True) == "Bộ Tài nguyên và Môi trường"
    assert [tr.get_text(" ", strip=True) for tr in doc.select("table.fee-tiers tr")] == [
        "dưới 100 ha 4.000.000\xa0₫",
        "từ 100 đến 50.000 ha 10.000.000\xa0₫",
        "trên 50.000 ha 15.000.000\xa0₫",
    ]
    assert doc.select_one("dd.applicant-kinds").get_text(strip=True) == "Doanh nghiệp, Tổ chức khác"


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_an_authorised_joint_auction_application_end_to_end(app, client, citizen_key, locale, tmp_path):
    client.get(f"/language/{locale}")
    documents_url = fill(client, LICENCE, start(client, CODE), AUTHORISED_AUCTION)
    base = documents_url.removesuffix("/documents")
    # The auction case's own document and the authorisation are asked, and required.
    documents = client.get(documents_url)
    assert required_on(documents) == {"TP2", "TP3", "TP4", "TP5", "TP_DG", "TP_UQ"}
    attach_required(client, LICENCE, documents_url)

    review = page(client.get(f"{base}/review"))
    rows = review.select("table.fees-due tbody tr")
    assert len(rows) == 1
    assert rows[0]["data-code"] == "LP.GPTDKS"
    cells = [td.get_text(" ", strip=True) for td in rows[0].select("td")]
    if locale == "en":
        assert cells[1:] == ["Charge (lệ phí)", "from 100 to 50,000 ha (declared: 250)", "₫10,000,000"]
        assert (
            review.select_one(".case dd").get_text(strip=True)
            == "Area whose mining-right auction the applicant won"
        )
        assert review.select_one(".processing-time dd").get_text(strip=True) == "90 working days"
    else:
        assert cells[1:] == ["Lệ phí", "từ 100 đến 50.000 ha (kê khai: 250)", "10.000.000\xa0₫"]
        assert (
            review.select_one(".case dd").get_text(strip=True)
            == "Khu vực đã trúng đấu giá quyền khai thác khoáng sản"
        )
    assert "Trần Văn Nam" in review.select_one(".submitter dd").get_text()
    assert "Công ty CP Khoáng sản Lào Cai (0100109106)" in review.select_one(".co-applicants dd").get_text()

    text = pdf_text(client.get(f"{base}/declaration.pdf").data, tmp_path)  # always in Vietnamese
    for expected in (
        "Trường hợp: Khu vực đã trúng đấu giá quyền khai thác khoáng sản",
        "Thời hạn giải quyết: 90 ngày làm việc",
        "Người được ủy quyền nộp hồ sơ: Trần Văn Nam (001099012345)",
        "Thành viên liên danh 1: Công ty CP Khoáng sản Lào Cai (0100109106)",
        "Phí, lệ phí phải nộp",
        "Lệ phí: Lệ phí cấp giấy phép thăm dò khoáng sản (LP.GPTDKS): "
        "10.000.000 đồng — từ 100 đến 50.000 ha (kê khai: 250)",
        "Tổng số tiền đã xác định: 10.000.000 đồng",
    ):
        assert expected in text, expected

    assert sign_with_pkcs12(client, base, *citizen_key).status_code == 302
    assert submit(client, f"{base}/review").status_code == 302
    with app.app_context():
        dossier = db.session.scalars(
            db.select(Dossier).where(Dossier.public_id == base.rsplit("/", 1)[-1])
        ).one()
        assert dossier.applicant_kind == "organisation"
        received = dossier.received_at.astimezone(VIETNAM).date()
        assert dossier.due_on == get_calendar().due(received, 90)
        package = build(dossier)
        manifest = package.manifest
        with zipfile.ZipFile(io.BytesIO(package.zip_bytes())) as z:
            assert json.loads(z.read("manifest.json"))["procedure"]["fees"] == manifest["procedure"]["fees"]
    assert manifest["procedure"]["fees"] == [
        {
            "code": "LP.GPTDKS",
            "kind": "le_phi",
            "name": "Lệ phí cấp giấy phép thăm dò khoáng sản",
            "amount": 10_000_000,
            "basis": "tiers",
            "quantity": "250",
            "unit": "ha",
            "note": "Theo diện tích khu vực thăm dò (Thông tư 191/2016/TT-BTC).",
        }
    ]
    assert manifest["procedure"]["case"] == {
        "code": "trung_dau_gia",
        "name": "Khu vực đã trúng đấu giá quyền khai thác khoáng sản",
        "processing_days": 90,
        "processing_unit": "working_days",
    }
    assert manifest["applicant"]["kind"] == "organisation"
    assert manifest["applicant"]["submitter"] == {
        "name": "Trần Văn Nam",
        "identifier": "001099012345",
        "phone": "0912345678",
        "address": None,
    }
    assert manifest["applicant"]["co_applicants"] == [
        {"name": "Công ty CP Khoáng sản Lào Cai", "identifier": "0100109106", "phone": None, "address": None}
    ]
    assert {f["component"] for f in manifest["files"]} >= {"TP_DG", "TP_UQ"}


def test_filed_in_person_asks_no_authorisation_and_the_other_case_not_its_document(client):
    client.get("/language/en")
    overrides = {
        "exploration_case": [("exploration_case", "khong_dau_gia")],
        "area_ha": [("area_ha", "99,99")],
    }
    client.get("/language/vi")  # "99,99" is how Vietnamese writes 99.99
    documents_url = fill(client, LICENCE, start(client, CODE), overrides)
    documents = page(client.get(documents_url))
    shown = {s["id"].removeprefix("component-") for s in documents.select("section.component")}
    assert shown == {"TP1", "TP2", "TP3", "TP4", "TP5"}  # neither TP_DG nor TP_UQ
    review = page(client.get(documents_url.removesuffix("/documents") + "/review"))
    assert review.select_one("table.fees-due td.amount").get_text(strip=True) == "4.000.000\xa0₫"
    assert not review.select(".submitter")
    missing = [a.get_text() for a in review.select(".error-summary li a")]
    assert not any("ủy quyền" in m or "trúng đấu giá" in m for m in missing)


def test_the_due_date_follows_the_chosen_cases_time(make_app, tmp_path, citizen_key):
    text = (CATALOG / "tham-do-khoang-san-cap-phep.yaml").read_text(encoding="utf-8")
    marker = "    components: [TP_DG]\n"
    assert marker in text
    (tmp_path / "licence.yaml").write_text(
        text.replace(marker, marker + "    processing_days: 30\n    processing_unit: calendar_days\n"),
        "utf-8",
    )
    app = make_app(CATALOG_DIR=tmp_path)
    client = app.test_client()
    client.get("/language/en")
    definition = load_folder(tmp_path)[CODE].definition
    documents_url = fill(client, definition, start(client, CODE), AUTHORISED_AUCTION)
    attach_required(client, definition, documents_url)
    base = documents_url.removesuffix("/documents")
    review = page(client.get(f"{base}/review"))
    assert review.select_one(".processing-time dd").get_text(strip=True) == "30 days"
    assert page(client.get(f"/procedures/{CODE}")).select_one("dd.processing-time").get_text(
        " ", strip=True
    ) == (
        "Area where the mining right is not auctioned: 90 working days "
        "Area whose mining-right auction the applicant won: 30 days"
    )
    assert sign_with_pkcs12(client, base, *citizen_key).status_code == 302
    assert submit(client, f"{base}/review").status_code == 302
    with app.app_context():
        dossier = db.session.scalars(
            db.select(Dossier).where(Dossier.public_id == base.rsplit("/", 1)[-1])
        ).one()
        received = dossier.received_at.astimezone(VIETNAM).date()
        assert dossier.due_on == get_calendar().due(received, 30, unit="calendar_days")
        assert build(dossier).manifest["procedure"]["case"]["processing_days"] == 30


GENES = load_folder(CATALOG)["1.005114"].definition


def test_a_foreigner_applies_and_the_commercial_case_sets_the_due_date(app, client, citizen_key):
    """Cấp giấy phép tiếp cận nguồn gen: a foreign individual, product development (appraisal
    90 days and the decision 15 more: 105, against 45 for non-commercial research)."""
    client.get("/language/en")
    overrides = {
        "applicant_type": [("applicant_type", "foreign_individual")],
        "access_purpose": [("access_purpose", "product_development")],
    }
    documents_url = fill(client, GENES, start(client, GENES.code), overrides)
    attach_required(client, GENES, documents_url)
    base = documents_url.removesuffix("/documents")
    review = page(client.get(f"{base}/review"))
    assert review.select_one(".case dd").get_text(strip=True) == "Commercial product development"
    assert review.select_one(".processing-time dd").get_text(strip=True) == "105 working days"
    assert (
        "Foreigners"
        in page(client.get(f"/procedures/{GENES.code}")).select_one("dd.applicant-kinds").get_text()
    )
    assert sign_with_pkcs12(client, base, *citizen_key).status_code == 302
    assert submit(client, f"{base}/review").status_code == 302
    with app.app_context():
        dossier = db.session.scalars(
            db.select(Dossier).where(Dossier.public_id == base.rsplit("/", 1)[-1])
        ).one()
        assert dossier.applicant_kind == "foreigner"
        received = dossier.received_at.astimezone(VIETNAM).date()
        assert dossier.due_on == get_calendar().due(received, 105)
        manifest = build(dossier).manifest
    assert manifest["applicant"]["kind"] == "foreigner"
    assert manifest["procedure"]["case"]["code"] == "product_development"


def post_step(client, url: str, step, overrides) -> None:
    form_page = client.get(url)
    data = [("csrf_token", csrf_token(form_page)), ("action", "continue")]
    for spec in step.fields:
        data.extend(overrides.get(spec.name) or valid_pairs(spec, spec.name))
    assert client.post(url, data=MultiDict(data)).status_code == 302


def test_a_document_the_answers_no_longer_ask_must_go_before_signing(client):
    client.get("/language/en")
    documents_url = fill(client, LICENCE, start(client, CODE), AUTHORISED_AUCTION)
    base = documents_url.removesuffix("/documents")
    attach_required(client, LICENCE, documents_url)
    assert not page(client.get(f"{base}/review")).select(".error-summary")
    # Now filed by the representative, in an area not auctioned.
    steps = {s.id: s for s in LICENCE.form.steps}
    post_step(client, f"{base}/steps/organisation", steps["organisation"], {})
    post_step(client, f"{base}/steps/exploration", steps["exploration"], {})
    review = page(client.get(f"{base}/review"))
    problems = [a.get_text(strip=True) for a in review.select(".error-summary li a")]
    assert len(problems) == 2
    assert all(p.endswith("your answers no longer ask for it") for p in problems)
    assert review.select_one("a.button.disabled")  # signing waits
    # Neither may be uploaded again; both are listed for removal.
    name, content = sample_for(["pdf"])
    assert upload(client, documents_url, "TP_DG", name, content).status_code == 404
    documents = page(client.get(documents_url))
    for form in documents.select("#stray-files form"):
        assert (
            client.post(
                form["action"], data={"csrf_token": csrf_token(client.get(documents_url))}
            ).status_code
            == 302
        )
    assert not page(client.get(documents_url)).select("#stray-files")
    assert not page(client.get(f"{base}/review")).select(".error-summary")


PER_UNIT = """    per_unit:
      field: plan_budget_million
      amount: 1500
      unit: {vi: triệu đồng dự toán, en: million đồng of budget}
      minimum: 100000
"""
TIERS = """    tiers:
      field: area_ha
      unit: {vi: ha, en: ha}
      bands:
        - {below: 100, amount: 4000000}
        - {up_to: 50000, amount: 10000000}
        - {amount: 15000000}
"""
DECIDED = """  - code: PTD.DATD
    kind: phi
    name: {vi: Phí thẩm định đề án thăm dò, en: Exploration plan appraisal fee}
    decided_later: true
    when: {field: mineral, any_of: [gold, rare_earth]}
legal_basis:
"""


def test_an_amount_per_unit_and_one_decided_later_are_shown_and_printed(make_app, tmp_path):
    """Made-up amounts on the shipped licence, to drive the other fee shapes over HTTP."""
    text = (CATALOG / "tham-do-khoang-san-cap-phep.yaml").read_text(encoding="utf-8")
    assert TIERS in text
    text = text.replace(TIERS, PER_UNIT).replace("legal_basis:\n", DECIDED, 1)
    (tmp_path / "licence.yaml").write_text(text, "utf-8")
    app = make_app(CATALOG_DIR=tmp_path)
    client = app.test_client()
    client.get("/language/en")
    fees = page(client.get(f"/procedures/{CODE}")).select("dd.fees .fee")
    assert "₫1,500 per million đồng of budget" in fees[0].get_text()
    assert "Fee (phí): fixed later by the agency's decision" in fees[1].get_text(" ", strip=True)
    definition = load_folder(tmp_path)[CODE].definition
    overrides = {"mineral": [("mineral", "gold")], "plan_budget_million": [("plan_budget_million", "2500")]}
    documents_url = fill(client, definition, start(client, CODE), overrides)
    attach_required(client, definition, documents_url)
    base = documents_url.removesuffix("/documents")
    review = page(client.get(f"{base}/review"))
    rows = [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in review.select("table.fees-due tbody tr")
    ]
    assert [r[1:] for r in rows] == [
        ["Charge (lệ phí)", "2,500 × ₫1,500 per million đồng of budget", "₫3,750,000"],
        ["Fee (phí)", "Fixed later by the agency's decision", "Fixed later"],
    ]
    assert review.select_one("table.fees-due .total").get_text(strip=True) == "₫3,750,000"
    assert "amounts fixed later come on top" in review.select_one("table.fees-due tfoot").get_text()
    text = pdf_text(client.get(f"{base}/declaration.pdf").data, tmp_path)
    assert "3.750.000 đồng — 2.500 × 1.500 ₫ mỗi triệu đồng dự toán" in text
    assert "Phí: Phí thẩm định đề án thăm dò (PTD.DATD): theo quyết định của cơ quan có thẩm quyền" in text
    client.get("/language/vi")
    review = page(client.get(f"{base}/review"))
    assert review.select("table.fees-due td.amount")[1].get_text(strip=True) == "Xác định sau"


def test_the_api_describes_fee_tiers_and_cases(client):
    definition = client.get(f"/api/v1/procedures/{CODE}").get_json()["definition"]
    assert definition["fees"][0]["tiers"]["bands"][0] == {"below": "100", "up_to": None, "amount": 4_000_000}
    assert [c["code"] for c in definition["cases"]] == ["khong_dau_gia", "trung_dau_gia"]
    assert definition["form"]["applicant"]["submitter"]["document"] == "TP_UQ"


def test_the_factories_attach_what_the_answers_ask(app, citizen_key):
    from tests.factories import SubmittedFactory

    with app.test_request_context():
        made = SubmittedFactory(
            procedure=CODE,
            key=citizen_key,
            overrides={"exploration_case": ["trung_dau_gia"], "filed_by": ["representative"]},
        )
        assert {a.component_code for a in made.dossier.attachments} == {"TP2", "TP3", "TP4", "TP5", "TP_DG"}
        assert made.dossier.code is not None
