"""Fixtures: an app on a real database (SQLite by default; PostgreSQL when
TEST_POSTGRES_URL is set), migrated once per worker and emptied between tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db

PG_BASE = os.environ.get("TEST_POSTGRES_URL")
# Children first, so that deleting in this order never breaks a foreign key.
TABLES = (
    "staff_sessions",
    "staff_users",
    "supplement_files",
    "result_documents",
    "backoffice_events",
    "outbox",
    "supplements",
    "external_signing_sessions",
    "dossier_signatures",
    "dossier_events",
    "attachments",
    "dossiers",
    "dossier_sequences",
    "procedure_versions",
)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    if not PG_BASE:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    name = f"opendvc_test_{worker_id}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return re.sub(r"/[^/]*$", f"/{name}", PG_BASE)


@pytest.fixture(scope="session")
def migrated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the schema the way production does: by running the migrations."""
    from flask_migrate import upgrade

    app = create_app(
        {"DATABASE_URL": database_url, "BLOB_DIR": tmp_path_factory.mktemp("blobs"), "SECRET_KEY": "t"}
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _empty(database_url: str) -> None:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
        else:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (fixed names)
    engine.dispose()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The test PKI, its TSA, OCSP responder and CRLs served on 127.0.0.1 for the session."""
    from tests.pki import serve

    found, server = serve(tmp_path_factory.mktemp("pki"))
    yield found
    server.shutdown()


@pytest.fixture
def make_app(migrated: str, tmp_path: Path, pki) -> Iterator:
    from tests.pki import PASSPHRASE

    apps: list[Flask] = []

    seal = tmp_path / "seal.p12"
    seal.write_bytes(pki.pkcs12("seal"))

    def make(instance_path: str | None = None, **config: object) -> Flask:
        settings = {
            "DATABASE_URL": migrated,
            "BLOB_DIR": tmp_path / "blobs",
            "SECRET_KEY": "test",
            "SIGNING_TRUST_ROOTS": [pki.root_pem],
            "SIGNING_FETCH_URL_PREFIXES": [pki.url + "/"],
            "SEAL_PKCS12": seal,
            "SEAL_PASSPHRASE": PASSPHRASE,
            "BACKOFFICE_DROP_DIR": tmp_path / "drop",
            "AGENCY_TRUST": {
                name: {"roots": [pki.agency_root_pem]} for name in ("filesystem", "failing", "http", "dvcqg")
            },
            **config,
        }
        instance_path = instance_path or str(tmp_path / "instance")
        app = create_app(settings, instance_path=instance_path)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()
    _empty(migrated)


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")  # a Flask test response or a requests one


def csrf_token(response) -> str:
    found = page(response).find("input", attrs={"name": "csrf_token"})
    assert found is not None, "the page has no CSRF token"
    return found["value"]


TEST_CATALOG = Path(__file__).parent / "data" / "catalog"


@pytest.fixture
def test_app(make_app) -> Flask:
    """The app serving the test catalog (one field of every type, small upload limits)."""
    return make_app(CATALOG_DIR=TEST_CATALOG)


@pytest.fixture
def test_client(test_app: Flask) -> FlaskClient:
    client = test_app.test_client()
    client.get("/language/en")
    return client


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(make_app) -> Iterator:
    """Start the app on a real socket on 127.0.0.1 (threaded), for tests that need real HTTP."""
    from werkzeug.serving import make_server

    servers = []

    def serve(**config: object) -> LiveServer:
        # The socket first: its port is in the public address the app builds its links on.
        server = make_server("127.0.0.1", 0, Flask(__name__), threaded=True)
        url = f"http://127.0.0.1:{server.server_port}"
        app = server.app = make_app(**{"PUBLIC_URL": url, **config})
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return LiveServer(url, app)

    yield serve
    for server, thread in servers:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def citizen_key(pki) -> tuple[bytes, str]:
    """The test citizen's PKCS#12 file and its passphrase."""
    from tests.pki import PASSPHRASE

    return pki.pkcs12("citizen"), PASSPHRASE


# One SoftHSM2 token per test process: the PKCS#11 module is loaded once, so the fixture is
# defined once, here, for the signing tests and the kiosk supplement test alike.
MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN, PIN, SO_PIN = "opendvc-kiosk", "246810", "13579111"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory, pki):
    """A SoftHSM2 token holding the test citizen's key and certificate chain."""
    if shutil.which("softhsm2-util") is None or not MODULE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("SoftHSM2 is missing: make test installs the softhsm2 package")
        pytest.skip("SoftHSM2 is not installed (make test installs it)")
    from certomancer.integrations import alchemist

    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read by the module when it is first loaded
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
    )
    session = alchemist.open_pkcs11_session(lib_location=str(MODULE), token_label=TOKEN, pin=PIN)
    try:
        alchemist.Alchemist(alchemist.DefaultAlchemistBackend(session), pki.arch).store_key_bundles(
            certs={"citizen"}, include_chains=True
        )
    finally:
        session.close()
    return {"PKCS11_MODULE": MODULE, "PKCS11_TOKEN_LABEL": TOKEN, "PKCS11_KEY_LABEL": "citizen"}
