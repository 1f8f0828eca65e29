"""Uploads scanned by a real ClamAV daemon (Debian's clamav-daemon), started here on a unix socket
in a temporary folder with a one-signature database that matches the EICAR test file: no
freshclam, no network. An infected file is refused with a translated message and nothing of it
is kept; with clamd down the upload is refused or let through as configured, never a 500."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.catalog.loader import load_folder
from app.config import ConfigError
from app.extensions import db
from app.scanning import ClamdOptions, ClamdScanner, ScannerUnavailable
from app.supplements.models import Supplement
from tests import files
from tests.attachments.test_uploads import attachment_rows, error_on_page, stored_files
from tests.backoffice.fixtures import SECRET
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.events.test_events import event, post
from tests.factories import SubmittedFactory, resume_url
from tests.journey import attach_required, fill_steps, start, upload
from tests.supplements.test_supplements import attach
from tests.waiting import wait_for

CLAMD = shutil.which("clamd") or next((p for p in ("/usr/sbin/clamd",) if Path(p).exists()), None)
# The EICAR anti-virus test file (eicar.org), in two halves so that this source is not itself
# taken for it; every scanner detects it, and ours by the signature written below.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-" + b"ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Opendvc-Test-Eicar"  # clamd names a signature not of its own databases ….UNOFFICIAL
VIRUS_EN = f"The file contains a virus ({SIGNATURE}.UNOFFICIAL) and was not kept."
VIRUS_VI = f"Tệp có vi-rút ({SIGNATURE}.UNOFFICIAL) nên không được giữ lại."
DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
DOWN_EN = "Files cannot be checked for viruses at the moment"


def infected_pdf() -> bytes:
    """A real PDF carrying EICAR in a comment after its end: any PDF reader opens it."""
    return files.pdf() + b"%" + EICAR + b"\n"


def _ping(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(5)
            conn.connect(str(path))
            conn.sendall(b"zPING\0")
            return conn.recv(16) == b"PONG\0"
    except OSError:
        return False


@pytest.fixture(scope="session")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """clamd in the foreground on a unix socket in a temporary folder; its socket's path."""
    if CLAMD is None:
        if os.environ.get("CI") == "true":
            pytest.fail("clamd is missing: make test installs Debian's clamav-daemon package")
        pytest.skip("clamd is not installed (make test installs clamav-daemon)")
    folder = tmp_path_factory.mktemp("clamd")
    (folder / "db").mkdir()
    # A body signature (.ndb: name, any file type, any offset, the bytes in hex).
    (folder / "db" / "opendvc-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    sock = folder / "clamd.sock"
    conf = folder / "clamd.conf"
    conf.write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {folder / 'db'}\nTemporaryDirectory {folder}\n"
        f"LogFile {folder / 'clamd.log'}\nForeground yes\nBytecode no\n"
    )
    process = subprocess.Popen(
        [CLAMD, f"--config-file={conf}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:

        def answering() -> bool:
            """clamd answers PING"""
            assert process.poll() is None, (folder / "clamd.log").read_text()
            return _ping(sock)

        wait_for(answering)
        yield sock
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture
def scanned_app(make_app, clamd):
    return make_app(CATALOG_DIR=TEST_CATALOG, SCANNER="clamd", SCANNER_OPTIONS={"clamd": {"socket": clamd}})


def _documents(app, locale: str = "en"):
    client = app.test_client()
    client.get(f"/language/{locale}")
    return client, start(client, "T.000001").rsplit("/steps/", 1)[0] + "/documents"


def test_clamd_finds_eicar_and_passes_clean_files(clamd):
    scanner = ClamdScanner(options=ClamdOptions(socket=clamd))
    assert scanner.scan(io.BytesIO(EICAR)).signature == f"{SIGNATURE}.UNOFFICIAL"
    assert scanner.scan(io.BytesIO(infected_pdf())).infected
    assert not scanner.scan(io.BytesIO(files.pdf())).infected
    assert not scanner.scan(io.BytesIO(b"")).infected


@pytest.mark.parametrize(("locale", "message"), [("en", VIRUS_EN), ("vi", VIRUS_VI)], ids=["en", "vi"])
def test_an_infected_file_is_refused_and_nothing_is_kept(scanned_app, locale, message):
    client, documents = _documents(scanned_app, locale)
    for name, content in (("ho-so.pdf", infected_pdf()), ("eicar.pdf", EICAR)):
        response = upload(client, documents, "DOC", name, content)
        assert response.status_code == 422
        assert error_on_page(response, "DOC").startswith(message)
        assert stored_files(scanned_app) == []
        assert attachment_rows(scanned_app) == 0
    # A clean file goes through the same scanner and is kept.
    assert upload(client, documents, "DOC", "ho-so.pdf", files.pdf()).status_code == 302
    assert attachment_rows(scanned_app) == 1


def test_without_a_scanner_the_same_pdf_would_have_been_kept(make_app):
    """The control: the infected PDF is a PDF the portal takes, refused for its virus alone."""
    app = make_app(CATALOG_DIR=TEST_CATALOG)
    client, documents = _documents(app)
    assert upload(client, documents, "DOC", "ho-so.pdf", infected_pdf()).status_code == 302


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_clamd_down_refuses_uploads_by_default(make_app, tmp_path, locale):
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        SCANNER="clamd",
        SCANNER_OPTIONS={"clamd": {"socket": tmp_path / "none.sock"}},
    )
    client, documents = _documents(app, locale)
    response = upload(client, documents, "DOC", "ho-so.pdf", files.pdf())
    assert response.status_code == 503
    text = error_on_page(response, "DOC")
    if locale == "en":
        assert text.startswith(DOWN_EN)
    else:
        assert "vi-rút" in text
        assert DOWN_EN not in text
    assert stored_files(app) == []
    assert attachment_rows(app) == 0


def test_clamd_down_lets_uploads_through_when_configured(make_app, tmp_path, caplog):
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        SCANNER="clamd",
        SCANNER_OPTIONS={"clamd": {"socket": tmp_path / "none.sock"}},
        SCANNER_ON_FAILURE="allow",
    )
    client, documents = _documents(app)
    assert upload(client, documents, "DOC", "ho-so.pdf", files.pdf()).status_code == 302
    assert attachment_rows(app) == 1
    assert "without a virus scan" in caplog.text


def test_a_socket_left_by_a_dead_daemon_is_a_failure(make_app, tmp_path):
    """clamd died and left its socket file behind: nobody listens; refused, translated."""
    stale = tmp_path / "clamd.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(stale))
    assert stale.exists()
    app = make_app(CATALOG_DIR=TEST_CATALOG, SCANNER="clamd", SCANNER_OPTIONS={"clamd": {"socket": stale}})
    client, documents = _documents(app)
    response = upload(client, documents, "DOC", "ho-so.pdf", files.pdf())
    assert response.status_code == 503
    assert error_on_page(response, "DOC").startswith(DOWN_EN)
    assert attachment_rows(app) == 0


def test_a_daemon_that_never_answers_is_a_failure_not_a_verdict(tmp_path):
    """A socket that takes the file and never answers: unavailable, never clean."""
    path = tmp_path / "mute.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        scanner = ClamdScanner(options=ClamdOptions(socket=path, timeout_seconds=5))
        with pytest.raises(ScannerUnavailable):
            scanner.scan(io.BytesIO(b"x" * 10))  # accepted by the backlog, never answered


def test_an_infected_signed_pdf_is_refused_on_the_signing_page(scanned_app):
    """The other way a file comes in: a declaration signed elsewhere, uploaded."""
    client = scanned_app.test_client()
    client.get("/language/en")
    documents = fill_steps(client, DEFINITION, start(client, DEFINITION.code))
    attach_required(client, DEFINITION, documents)  # clean files, scanned and kept
    base = documents.removesuffix("/documents")
    sign_page = client.get(f"{base}/sign")
    boundary, body = encode_multipart(
        MultiDict(
            {"csrf_token": csrf_token(sign_page), "signed": FileStorage(io.BytesIO(infected_pdf()), "ky.pdf")}
        )
    )
    refused = client.post(
        f"{base}/sign/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert refused.status_code == 422
    assert VIRUS_EN in page(refused).get_text(" ", strip=True)


def test_an_unknown_scanner_or_wrong_options_stop_start_up(make_app):
    with pytest.raises(ConfigError, match="OPENDVC_SCANNER: unknown scanner 'clamav'"):
        make_app(SCANNER="clamav")
    with pytest.raises(ConfigError, match=r"OPENDVC_SCANNER_OPTIONS\[clamd\]"):
        make_app(SCANNER="clamd", SCANNER_OPTIONS={"clamd": {"socket": "/a", "host": "b"}})


def test_an_infected_supplement_file_is_refused(make_app, clamd, citizen_key):
    """A supplement's files pass the same checks as the dossier's documents: the scan too."""
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_SECRETS={"filesystem": SECRET},
        SCANNER="clamd",
        SCANNER_OPTIONS={"clamd": {"socket": clamd}},
    )
    with app.test_request_context():
        made = SubmittedFactory(procedure=DEFINITION.code, key=citizen_key)
        code, base = made.dossier.code, f"/dossiers/{made.dossier.public_id}"
    client = app.test_client()
    client.get("/language/vi")
    client.get(resume_url(made))
    assert post(client, event(code, 1, 2)).json["title"] == "applied"
    assert post(client, event(code, 2, 5, "Bổ sung bản sao")).json["title"] == "applied"
    refused = attach(client, base, "so-do.pdf", infected_pdf())
    assert refused.status_code == 422
    assert page(refused).select_one(".refusal").get_text(strip=True).startswith(VIRUS_VI)
    with app.app_context():
        assert db.session.scalars(db.select(Supplement)).one().files == []
    assert attach(client, base, "so-do.pdf", files.pdf()).status_code == 302
