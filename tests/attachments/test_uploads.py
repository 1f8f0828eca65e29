"""Uploads: what is refused, with which message, and that a refusal leaves nothing behind."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

import pytest
import requests

from app.dossiers.models import Attachment
from app.extensions import db
from tests import files
from tests.conftest import csrf_token, page
from tests.journey import start, upload

MB = 1024 * 1024
VI_EMPTY = "Tệp đã chọn không có dữ liệu"


@pytest.fixture
def documents_url(test_client) -> str:
    return start(test_client, "T.000001").rsplit("/steps/", 1)[0] + "/documents"


def stored_files(app) -> list[Path]:
    root = Path(app.config["BLOB_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file())


def attachment_rows(app) -> int:
    with app.app_context():
        return db.session.query(Attachment).count()


def error_on_page(response, component: str) -> str:
    doc = page(response)
    summary = doc.select_one(".error-summary a")
    inline = doc.select_one(f"#file-{component}-error")
    assert summary is not None
    assert inline is not None
    assert doc.select_one(summary["href"]) is not None
    return inline.get_text(strip=True)


def test_a_pdf_is_kept_with_its_hash_and_name(test_client, test_app, documents_url):
    content = files.pdf(pages=3)
    response = upload(test_client, documents_url, "DOC", "../../Báo cáo ĐTM <bản 2>.pdf", content)
    assert response.status_code == 302
    listing = page(test_client.get(documents_url))
    link = listing.select_one("#component-DOC .files a")
    assert link.get_text(strip=True) == "Báo cáo ĐTM _bản 2_.pdf"
    download = test_client.get(link["href"])
    assert download.data == content
    assert download.headers["Content-Disposition"].startswith("attachment;")
    download.close()
    expected = hashlib.sha256(content).hexdigest()
    assert [p.name for p in stored_files(test_app)] == [expected]
    with test_app.app_context():
        row = db.session.query(Attachment).one()
        assert (row.sha256, row.size, row.media_type) == (expected, len(content), "application/pdf")


REFUSALS = [
    # component, file name, content, status, message
    ("DOC", "empty.pdf", b"", 400, "The selected file is empty"),
    ("DOC", "big.pdf", files.pdf() + b"%" * MB, 413, "The file must be smaller than 1 MB"),
    ("DOC", "report.docx", files.docx(), 415, "The file must be a PDF file"),
    ("DOC", "scan.pdf", files.elf_executable(), 415, "The file must be a PDF file"),
    ("IMG", "photo.jpg", files.windows_executable(), 415, "The file must be a JPG, PNG, XLSX file"),
    ("IMG", "photo.png", b"<?php system($_GET['c']); ?>", 415, "The file must be a JPG, PNG, XLSX file"),
    (
        "DOC",
        "broken.pdf",
        files.pdf()[:200],
        400,
        "The PDF is damaged and cannot be read: save or scan it again",
    ),
    (
        "DOC",
        "garbage.pdf",
        b"%PDF-1.7\n" + bytes(range(256)) * 40,
        400,
        "The PDF is damaged and cannot be read: save or scan it again",
    ),
    (
        "DOC",
        "locked.pdf",
        files.encrypted_pdf(),
        400,
        "The PDF is protected by a password: attach a copy without a password",
    ),
]


@pytest.mark.parametrize(
    ("component", "name", "content", "status", "message"), REFUSALS, ids=[r[1] for r in REFUSALS]
)
def test_refused_uploads_leave_nothing(
    test_client, test_app, documents_url, component, name, content, status, message
):
    response = upload(test_client, documents_url, component, name, content)
    assert response.status_code == status
    assert error_on_page(response, component) == message
    assert stored_files(test_app) == []
    assert attachment_rows(test_app) == 0


def test_refusals_are_translated(test_client, test_app, documents_url):
    test_client.get("/language/vi")
    response = upload(test_client, documents_url, "DOC", "empty.pdf", b"")
    assert error_on_page(response, "DOC") == VI_EMPTY


def test_a_component_takes_at_most_its_number_of_files(test_client, test_app, documents_url):
    assert upload(test_client, documents_url, "IMG", "a.png", files.png()).status_code == 302
    assert upload(test_client, documents_url, "IMG", "b.jpg", files.jpg()).status_code == 302
    response = upload(test_client, documents_url, "IMG", "c.xlsx", files.xlsx())
    assert response.status_code == 400
    assert error_on_page(response, "IMG") == "You can attach at most 2 files here: remove one first"
    assert attachment_rows(test_app) == 2
    assert len(stored_files(test_app)) == 2


def test_the_dossier_total_is_limited(make_app):
    app = make_app(CATALOG_DIR=Path(__file__).parents[1] / "data" / "catalog", DOSSIER_MAX_TOTAL_MB=1)
    client = app.test_client()
    client.get("/language/en")
    url = start(client, "T.000001").rsplit("/steps/", 1)[0] + "/documents"
    assert upload(client, url, "DOC", "a.pdf", files.pdf() + b"%" * (600 * 1024)).status_code == 302
    response = upload(client, url, "IMG", "b.png", files.png() + b"\0" * (600 * 1024))
    assert response.status_code == 413
    assert error_on_page(response, "IMG") == "All the files of a dossier together must be smaller than 1 MB"
    assert attachment_rows(app) == 1


def test_a_body_over_the_whole_limit_is_refused_before_it_is_read(live_server):
    server = live_server(CATALOG_DIR=Path(__file__).parents[1] / "data" / "catalog", DOSSIER_MAX_TOTAL_MB=1)
    browser = requests.Session()
    browser.get(f"{server.url}/language/en")
    procedure = browser.get(f"{server.url}/procedures/T.000001")
    started = browser.post(
        f"{server.url}/procedures/T.000001/start", data={"csrf_token": csrf_token(procedure)}
    )
    documents = browser.get(started.url.rsplit("/steps/", 1)[0] + "/documents")
    response = browser.post(
        f"{documents.url}/DOC",
        data={"csrf_token": csrf_token(documents)},
        files={"file": ("huge.pdf", b"%PDF-" + b"0" * (3 * MB))},
    )
    assert response.status_code == 413
    assert page(response).select_one("h1").get_text(strip=True) == "The file is too large"
    assert stored_files(server.app) == []


def test_an_upload_without_the_csrf_token_is_refused(test_client, test_app, documents_url):
    response = test_client.post(
        f"{documents_url}/DOC",
        data={"file": (io.BytesIO(files.pdf()), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert stored_files(test_app) == []
    assert attachment_rows(test_app) == 0


def test_removing_an_attachment(test_client, test_app, documents_url):
    upload(test_client, documents_url, "DOC", "a.pdf", files.pdf())
    listing = test_client.get(documents_url)
    form = page(listing).select_one("#component-DOC form.inline")
    response = test_client.post(form["action"], data={"csrf_token": csrf_token(listing)})
    assert response.status_code == 302
    assert attachment_rows(test_app) == 0
    assert not page(test_client.get(documents_url)).select("#component-DOC .files")


def test_another_browser_cannot_upload_or_download(test_app, test_client, documents_url):
    upload(test_client, documents_url, "DOC", "a.pdf", files.pdf())
    link = page(test_client.get(documents_url)).select_one("#component-DOC .files a")["href"]
    stranger = test_app.test_client()
    assert stranger.get(link).status_code == 404
    assert stranger.get(documents_url).status_code == 404


@pytest.mark.committed  # the second upload comes from another thread
def test_two_uploads_at_once_cannot_both_take_the_last_place(test_client, test_app, documents_url):
    """The limits are counted on the dossier as read; when another upload lands in between, the
    dossier's version has moved and the late one is refused instead of overflowing the limit."""
    from app.attachments import services as attachments
    from app.dossiers.models import Dossier
    from app.storage import get_blobs

    assert upload(test_client, documents_url, "IMG", "a.png", files.png()).status_code == 302
    with test_app.test_request_context():
        dossier = db.session.scalars(db.select(Dossier)).one()
        component = next(c for c in attachments_of(test_app) if c.code == "IMG")
        assert len(dossier.attachments) == 1  # read: one place left of two
        other = test_app.test_client()  # the same browser's second tab, as far as the data goes
        with test_client.session_transaction() as session:
            cookie = dict(session)
        with other.session_transaction() as session:
            session.update(cookie)
        landed = []  # another thread: its own app context and database session
        thread = threading.Thread(
            target=lambda: landed.append(
                upload(other, documents_url, "IMG", "b.jpg", files.jpg()).status_code
            )
        )
        thread.start()
        thread.join()
        assert landed == [302]
        writer = get_blobs().writer(10 * MB)
        writer.write(files.png())
        with pytest.raises(attachments.UploadRefused) as refused:
            attachments.store(dossier, component, writer, "c.png")
        assert refused.value.status == 409
    assert attachment_rows(test_app) == 2


def attachments_of(app):
    from app.catalog import get_catalog

    return get_catalog().get("T.000001").definition.components
