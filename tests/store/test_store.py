"""My documents: what an account submitted and received is kept once, offered where the same
component or a type the component takes is asked, used again as the same blob (no copy, the same
hash in the package), removed unless a dossier in progress uses it, and nobody else's."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from pypdf import PdfWriter

from app.accounts.models import Account
from app.delivery.packages import build
from app.dossiers.models import Dossier
from app.extensions import db
from app.mine import services as mine
from app.storage import get_blobs
from app.store import services as store
from app.store.models import RESULT, SUBMITTED, StoredDocument
from tests.accounts import make_account, signed_in
from tests.backoffice.fixtures import SECRET
from tests.conftest import csrf_token, page
from tests.events import event_body, post_event
from tests.factories import resume_url
from tests.files import pdf
from tests.results.test_results import signed_by
from tests.store import CATALOG, LICENCE, RENEWAL, blob_files, owned_draft, sign_and_submit, stored
from tests.supplements.test_supplements import asked, attach, sign


@pytest.fixture
def store_app(make_app):
    return make_app(CATALOG_DIR=CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET})


def account_of(app, account_id: int) -> Account:
    with app.app_context():
        found = db.session.get(Account, account_id)
        assert found is not None
        return found


def documents_url(public_id: str) -> str:
    return f"/dossiers/{public_id}/documents"


def use_url(public_id: str, component: str) -> str:
    return f"/dossiers/{public_id}/documents/{component}/from-my-documents"


def offered(response) -> dict[str, list[int]]:
    """For each component on the documents page, the stored documents it offers (their ids)."""
    found = {}
    for section in page(response).select("section.component[data-component]"):
        ids = [int(li["data-document-id"]) for li in section.select(".from-store li[data-document-id]")]
        found[section["data-component"]] = ids
    return found


def use(client, public_id: str, component: str, document_id: int):
    token = csrf_token(client.get(documents_url(public_id)))
    return client.post(use_url(public_id, component), data={"csrf_token": token, "document": document_id})


def manifest_hashes(dossier: Dossier) -> dict[str, str]:
    return {f["component"]: f["sha256"] for f in build(dossier).manifest["files"]}


def submitted_licence(app, account_id: int, key, files: dict | None = None) -> tuple[int, str]:
    """A licence dossier of the account, submitted with DON and DKDN: its id and code."""
    files = files or {"DON": ("don.pdf", pdf(1)), "DKDN": ("dang-ky-doanh-nghiep.pdf", pdf(2))}
    with app.test_request_context():
        made = owned_draft(account_id, LICENCE, files)
        sign_and_submit(made.dossier, key)
        return made.dossier.id, made.dossier.code


def test_a_reused_document_is_the_same_blob_in_the_package(store_app, citizen_key):
    app = store_app
    with app.app_context():
        account_id = make_account().id
    first_id, _code = submitted_licence(app, account_id, citizen_key)
    with app.test_request_context():
        first = db.session.get(Dossier, first_id)
        original = manifest_hashes(first)
        kept = {d.component_code: d.id for d in stored(account_id)}
        made = owned_draft(account_id, LICENCE)
        public_id, second_id = made.dossier.public_id, made.dossier.id
        root = get_blobs().root
    assert set(kept) == {"DON", "DKDN"}
    client = signed_in(app, account_of(app, account_id))
    client.get("/language/en")
    client.get(resume_url(made))
    shown = offered(client.get(documents_url(public_id)))
    assert shown == {"DON": [kept["DON"]], "DKDN": [kept["DKDN"]], "ANH": []}
    before = blob_files(root)
    for component in ("DON", "DKDN"):
        answer = use(client, public_id, component, kept[component])
        assert answer.status_code == 302, answer.text
    assert blob_files(root) == before  # nothing written: the same blobs
    after = page(client.get(documents_url(public_id)))
    assert "don.pdf" in after.select_one("#component-DON .files").get_text()
    assert offered(client.get(documents_url(public_id)))["DON"] == []  # attached: not offered again
    with app.test_request_context():
        second = db.session.get(Dossier, second_id)
        sign_and_submit(second, citizen_key)
        reused = manifest_hashes(second)
        assert len(stored(account_id)) == 2  # submitted again: still kept once
    assert reused == original
    assert reused["DON"] == hashlib.sha256(pdf(1)).hexdigest()
    assert [p.name for p in blob_files(root)].count(reused["DON"]) == 1


def test_kept_on_submission_once_and_only_with_an_account(store_app, citizen_key):
    app = store_app
    with app.app_context():
        account_id = make_account().id
    dossier_id, code = submitted_licence(app, account_id, citizen_key)
    with app.test_request_context():
        rows = stored(account_id)
        assert [(r.source, r.component_code, r.dossier_code, r.document_type) for r in rows] == [
            (SUBMITTED, "DON", code, None),
            (SUBMITTED, "DKDN", code, "business_registration"),
        ]
        assert rows[1].title == {
            "vi": "Giấy chứng nhận đăng ký doanh nghiệp",
            "en": "Business registration certificate",
        }
        store.keep_submitted(db.session.get(Dossier, dossier_id))  # again: nothing more
        db.session.commit()
        assert len(stored(account_id)) == 2
        anonymous = owned_draft(account_id, LICENCE, {"DON": ("a.pdf", pdf(3)), "DKDN": ("b.pdf", pdf(4))})
        anonymous.dossier.account_id = None
        db.session.commit()
        sign_and_submit(anonymous.dossier, citizen_key)
        assert len(stored(account_id)) == 2
        assert db.session.scalar(db.select(db.func.count()).select_from(StoredDocument)) == 2


def _result_returned(app, client, code: str, pki) -> dict:
    for sequence, status in enumerate((2, 4, 9), 1):
        assert post_event(client, event_body(code, sequence, status)).json["title"] == "applied"
    document = signed_by(pki, "agency")
    body = event_body(code, 4, 10, "Đã trả kết quả")
    body["results"] = [{"file_name": "giay-phep.pdf", "content": base64.b64encode(document).decode()}]
    answer = post_event(client, body)
    assert (answer.status_code, answer.json["title"]) == (200, "applied")
    return body


def test_results_are_kept_once_and_offered_by_type_as_electronic_copies(store_app, citizen_key, pki):
    app = store_app
    with app.app_context():
        account_id = make_account().id
    _id, code = submitted_licence(app, account_id, citizen_key)
    api = app.test_client()
    body = _result_returned(app, api, code, pki)
    assert post_event(api, body).json["title"] == "already applied"
    with app.test_request_context():
        results = [r for r in stored(account_id) if r.source == RESULT]
        assert [(r.result_code, r.document_type, r.filename) for r in results] == [
            (f"{code}-KQ1", "surveying_licence", "giay-phep.pdf")
        ]
        licence_id = results[0].id
        registration_id = next(r.id for r in stored(account_id) if r.component_code == "DKDN")
        made = owned_draft(account_id, RENEWAL)
        public_id = made.dossier.public_id
    client = signed_in(app, account_of(app, account_id))
    client.get("/language/en")
    client.get(resume_url(made))
    listing = client.get(documents_url(public_id))
    # DON of the licence is not DON of the renewal: a component code means nothing across procedures.
    assert offered(listing) == {
        "DON": [],
        "GP": [licence_id],
        "PHAPLY": [registration_id],
        "ANHDN": [registration_id],
        "NHO": [registration_id],
    }
    assert "electronic copy of the result of dossier" in page(listing).select_one("#component-GP").get_text()
    # Offered by type, but a PDF where a PNG is asked: the component's check, told clearly.
    refused = use(client, public_id, "ANHDN", registration_id)
    assert refused.status_code == 415
    assert "The file must be a PNG file" in page(refused).select_one(".error-summary").get_text()
    # Not offered for this component: refused as unknown.
    assert use(client, public_id, "DON", licence_id).status_code == 404
    assert use(client, public_id, "GP", licence_id).status_code == 302


def large_pdf() -> bytes:
    """A valid PDF of more than 1 MB."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Subject": "x" * (1024 * 1024 + 10)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_stored_document_over_the_components_limits_is_refused_in_both_languages(store_app, citizen_key):
    app = store_app
    with app.app_context():
        account_id = make_account().id
    files = {"DON": ("don.pdf", pdf(1)), "DKDN": ("lon.pdf", large_pdf())}
    submitted_licence(app, account_id, citizen_key, files)
    with app.test_request_context():
        registration_id = next(r.id for r in stored(account_id) if r.component_code == "DKDN")
        made = owned_draft(account_id, RENEWAL)
        public_id, draft_id = made.dossier.public_id, made.dossier.id
    client = signed_in(app, account_of(app, account_id))
    client.get(resume_url(made))
    for locale, too_large, not_png in (
        ("en", "The file must be smaller than 1 MB", "The file must be a PNG file"),
        ("vi", "Dung lượng tệp phải nhỏ hơn 1 MB", "Tệp phải có định dạng PNG"),
    ):
        client.get(f"/language/{locale}")
        refused = use(client, public_id, "NHO", registration_id)
        assert refused.status_code == 413
        assert too_large in page(refused).select_one("#component-NHO .error").get_text()
        refused = use(client, public_id, "ANHDN", registration_id)
        assert refused.status_code == 415
        assert not_png in page(refused).select_one("#component-ANHDN .error").get_text()
    with app.test_request_context():
        assert db.session.get(Dossier, draft_id).attachments == []
    assert use(client, public_id, "PHAPLY", registration_id).status_code == 302  # a PDF up to 20 MB


def test_a_document_in_use_stays_until_the_dossier_is_final(store_app, citizen_key):
    app = store_app
    with app.app_context():
        account_id = make_account().id
    _id, code = submitted_licence(app, account_id, citizen_key)
    with app.test_request_context():
        document_id = next(r.id for r in stored(account_id) if r.component_code == "DON")
        sha256 = next(r.sha256 for r in stored(account_id) if r.component_code == "DON")
    client = signed_in(app, account_of(app, account_id))
    client.get("/language/en")
    listing = client.get("/account/documents")
    token = csrf_token(listing)
    refused = client.post(f"/account/documents/{document_id}/remove", data={"csrf_token": token})
    assert refused.status_code == 409
    message = page(refused).select_one(".error-summary").get_text(" ", strip=True)
    assert f"used by dossier {code}, which is still in progress" in message
    client.get("/language/vi")
    refused_vi = client.post(f"/account/documents/{document_id}/remove", data={"csrf_token": token})
    assert f"đang được dùng trong hồ sơ {code}" in page(refused_vi).select_one(".error-summary").get_text(" ")
    client.get("/language/en")
    # The agency refuses the dossier at reception: final, the document is free.
    answer = post_event(app.test_client(), event_body(code, 1, 3, "Không đủ điều kiện"))
    assert answer.json["title"] == "applied"
    removed = client.post(f"/account/documents/{document_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 302
    assert "don.pdf has been removed from your documents." in client.get("/account/documents").text
    with app.test_request_context():
        assert [r.component_code for r in stored(account_id)] == ["DKDN"]
        assert get_blobs().path(sha256).is_file()  # the dossier's attachment still names the blob


def test_a_draft_using_a_document_keeps_it(store_app, citizen_key):
    app = store_app
    with app.app_context():
        account_id = make_account().id
    _id, code = submitted_licence(app, account_id, citizen_key)
    post_event(app.test_client(), event_body(code, 1, 3, "Không đủ điều kiện"))  # the first is final
    with app.test_request_context():
        document_id = next(r.id for r in stored(account_id) if r.component_code == "DKDN")
        made = owned_draft(account_id, RENEWAL)
        public_id = made.dossier.public_id
    client = signed_in(app, account_of(app, account_id))
    client.get("/language/en")
    client.get(resume_url(made))
    assert use(client, public_id, "PHAPLY", document_id).status_code == 302
    token = csrf_token(client.get("/account/documents"))
    refused = client.post(f"/account/documents/{document_id}/remove", data={"csrf_token": token})
    assert refused.status_code == 409
    assert (
        "used by your draft of “Renewing a test licence”"
        in page(refused).select_one(".error-summary").get_text()
    )


def test_another_accounts_documents_are_not_found_on_every_route(store_app, citizen_key):
    app = store_app
    with app.app_context():
        owner_id, other_id = make_account().id, make_account().id
    submitted_licence(app, owner_id, citizen_key)
    with app.test_request_context():
        theirs = [r.id for r in stored(owner_id)]
        mine = owned_draft(other_id, LICENCE)
        public_id, mine_id = mine.dossier.public_id, mine.dossier.id
    other = signed_in(app, account_of(app, other_id))
    other.get(resume_url(mine))
    listing = other.get("/account/documents")
    assert listing.status_code == 200
    assert page(listing).select("tr.stored-document") == []
    token = csrf_token(other.get(documents_url(public_id)))
    anonymous = app.test_client()
    for document_id in [*theirs, 999999]:
        assert other.get(f"/account/documents/{document_id}").status_code == 404
        assert (
            other.post(f"/account/documents/{document_id}/remove", data={"csrf_token": token}).status_code
            == 404
        )
        answer = other.post(use_url(public_id, "DON"), data={"csrf_token": token, "document": document_id})
        assert answer.status_code == 404
        assert anonymous.get(f"/account/documents/{document_id}").status_code == 404
    assert anonymous.get("/account/documents").status_code == 404
    with app.test_request_context():
        assert len(stored(owner_id)) == 2  # nothing removed, nothing attached
        assert db.session.get(Dossier, mine_id).attachments == []


def test_my_documents_page_and_header_in_both_languages(store_app, citizen_key):
    app = store_app
    with app.app_context():
        account_id = make_account().id
    _id, code = submitted_licence(app, account_id, citizen_key)
    client = signed_in(app, account_of(app, account_id))
    for locale, heading, source, kind in (
        (
            "en",
            "My documents",
            f"Submitted with dossier {code}",
            "Business registration certificate or establishment decision",
        ),
        (
            "vi",
            "Tài liệu của tôi",
            f"Nộp kèm hồ sơ {code}",
            "Giấy chứng nhận đăng ký doanh nghiệp hoặc quyết định thành lập",
        ),
    ):
        client.get(f"/language/{locale}")
        shown = page(client.get("/account/documents"))
        assert shown.select_one("h1").get_text(strip=True) == heading
        assert shown.select_one("header nav a[href='/account/documents']").get_text(strip=True) == heading
        rows = shown.select("tr.stored-document")
        assert len(rows) == 2
        registration = next(r for r in rows if "dang-ky-doanh-nghiep.pdf" in r.get_text())
        assert registration.select_one(".source").get_text(strip=True) == source
        assert registration.select_one(".type").get_text(strip=True) == kind
        assert (
            registration.select_one(".sha256").get_text(strip=True)
            == hashlib.sha256(pdf(2)).hexdigest()[:16] + "…"
        )
        download = client.get(registration.select_one("a.download")["href"])
        assert download.data == pdf(2)
        download.close()
    assert (
        page(app.test_client().get("/procedures/")).select_one("header a[href='/account/documents']") is None
    )


def test_removing_and_using_need_the_forms_csrf_token(store_app, citizen_key):
    app = store_app
    with app.app_context():
        account_id = make_account().id
    submitted_licence(app, account_id, citizen_key)
    with app.test_request_context():
        document_id = stored(account_id)[0].id
        made = owned_draft(account_id, LICENCE)
        public_id, draft_id = made.dossier.public_id, made.dossier.id
    client = signed_in(app, account_of(app, account_id))
    client.get(resume_url(made))
    assert client.post(f"/account/documents/{document_id}/remove").status_code == 400
    assert client.post(use_url(public_id, "DON"), data={"document": document_id}).status_code == 400
    with app.test_request_context():
        assert len(stored(account_id)) == 2
        assert db.session.get(Dossier, draft_id).attachments == []


def test_a_supplements_files_are_kept_once_sent(tracked, citizen_key):
    """What the applicant sends with a supplement goes into the store like the dossier's own
    documents: once signed and sent, not while it is still being prepared."""
    app, anonymous, code, _ = tracked
    with app.test_request_context():
        holder = make_account()
        dossier = db.session.scalars(db.select(Dossier).filter_by(code=code)).one()
        mine.claim(dossier, holder)
        public_id, before = dossier.public_id, {a.sha256 for a in dossier.attachments}
    owner = signed_in(app, holder)
    owner.get("/language/en")
    _, _, _, base = asked((app, anonymous, code, f"/dossiers/{public_id}/status"))
    content = pdf(3)
    assert attach(owner, base, "so-do.pdf", content).status_code == 302
    with app.app_context():
        kept = {d.sha256 for d in db.session.scalars(db.select(StoredDocument))}
    assert kept == before  # the dossier's own documents, kept when it was claimed
    assert sign(owner, base, citizen_key).status_code == 302
    with app.app_context():
        rows = db.session.scalars(db.select(StoredDocument).filter_by(filename="so-do.pdf")).all()
    assert [(r.sha256, r.component_code, r.dossier_code, r.source) for r in rows] == [
        (hashlib.sha256(content).hexdigest(), "DOC", code, SUBMITTED)
    ]
