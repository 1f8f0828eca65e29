"""Fixtures: an app on a real database (SQLite by default; PostgreSQL when
TEST_POSTGRES_URL is set), migrated once per worker; each test inside a transaction rolled back
at its end, or, marked `committed`, with real commits and every table emptied after it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import URL, Connection, Engine, Table, event, func, make_url, select

from app import create_app
from app.extensions import db

# The back-office kit (a reference back office, a tracked dossier) serves tests in several
# folders (events, delivery, results, supplements, attachments), so it is a plugin, not a conftest.
pytest_plugins = ["tests.backoffice.fixtures", "tests.mailserver", "tests.oidcprovider", "tests.servers"]

PG_BASE = os.environ.get("TEST_POSTGRES_URL")


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


# The database, per test. By default a test runs inside one transaction that is rolled back at
# its end (Warehouse's db_session is the model): every app the test makes shares one connection
# holding an outer transaction, and the sessions join it with savepoints, so that the services'
# own commit() calls release a savepoint and nothing is left for the next test, whatever tables
# it wrote. This holds only while one thread uses the database. A test whose data must really be
# committed, because another thread or process reads or writes it (a live server, racing
# threads, delivery workers, the in-process delivery thread), is marked `committed`, or uses a
# fixture in COMMITTED_FIXTURES; its commits are real and every table of the models
# (db.metadata, so a new table cannot be forgotten) is emptied after it.
COMMITTED_FIXTURES = frozenset({"live_server"})  # serves the app from its own threads

# Sessions joining the outer transaction commit a savepoint, never the transaction itself.
db.session.session_factory.configure(join_transaction_mode="create_savepoint")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "committed: the test's commits are real, seen by other threads or processes; "
        "every table is emptied after it (the default is one rolled-back transaction)",
    )


def is_committed(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("committed") is not None or not COMMITTED_FIXTURES.isdisjoint(
        request.fixturenames
    )


def _begin_sqlite(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _outer_transaction(engine: Engine) -> Connection:
    connection = engine.connect()
    if engine.dialect.name == "sqlite":
        # pysqlite opens a transaction only before a write and lets SAVEPOINT open (and RELEASE
        # end) one of its own: SQLAlchemy's recipe takes BEGIN out of its hands.
        connection.connection.driver_connection.isolation_level = None
        event.listen(connection, "begin", _begin_sqlite)
    connection.begin()
    return connection


def _tables() -> list[Table]:
    """Every table of the models, children first (deleting in this order breaks no key)."""
    return list(reversed(db.metadata.sorted_tables))


def _rows_left(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in _tables()}
    return {name: count for name, count in counts.items() if count}


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(conn.dialect.identifier_preparer.quote(t.name) for t in _tables())
            conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")
        else:
            for table in _tables():
                conn.execute(table.delete())


def _same_database(a: URL | str, b: URL | str) -> bool:
    def where(url: URL | str) -> tuple:
        url = make_url(url)
        return url.get_backend_name(), url.host, url.port, url.database

    return where(a) == where(b)


@dataclass
class DatabaseOfTest:
    """The migrated database as one test sees it: rolled back after the test, or committed."""

    url: str
    committed: bool
    connection: Connection | None = None
    engines: list[Engine] = field(default_factory=list)

    def bind(self, app: Flask) -> None:
        """Point the app's sessions at the test's connection (rolled back) or leave them on the
        app's own engine (committed)."""
        with app.app_context():
            self.engines.append(db.engine)
            if self.committed or not _same_database(db.engine.url, self.url):
                return  # committed, or another database the test made for itself
            if self.connection is None:
                self.connection = _outer_transaction(db.engine)
            # Flask-SQLAlchemy picks the bind from this mapping, whatever the session says.
            db.engines[None] = self.connection  # type: ignore[index]  (a Mapping, but the app's own dict)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.rollback()
            self.connection.invalidate()  # never back to the pool with pysqlite's BEGIN turned off
            self.connection.close()
        try:
            ours = [e for e in self.engines if _same_database(e.url, self.url)]
            if ours:
                left = _rows_left(ours[0])
                if left:
                    _empty(ours[0])
                if left and not self.committed:
                    pytest.fail(
                        f"rows committed outside the test's transaction: {left}; "
                        "mark the test @pytest.mark.committed",
                        pytrace=False,
                    )
        finally:
            for engine in self.engines:
                engine.dispose()


@pytest.fixture
def database(migrated: str, request: pytest.FixtureRequest) -> Iterator[DatabaseOfTest]:
    found = DatabaseOfTest(migrated, committed=is_committed(request))
    yield found
    found.close()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The test PKI, its TSA, OCSP responder and CRLs served on 127.0.0.1 for the session."""
    from tests.pki import serve

    found, server = serve(tmp_path_factory.mktemp("pki"))
    yield found
    server.shutdown()


@pytest.fixture
def make_app(database: DatabaseOfTest, tmp_path: Path, pki) -> Callable[..., Flask]:
    from tests.pki import PASSPHRASE

    seal = tmp_path / "seal.p12"
    seal.write_bytes(pki.pkcs12("seal"))

    def make(instance_path: str | None = None, **config: object) -> Flask:
        settings = {
            "DATABASE_URL": database.url,
            "BLOB_DIR": tmp_path / "blobs",
            "SECRET_KEY": "test",
            "SIGNING_TRUST_ROOTS": [pki.root_pem],
            "SIGNING_FETCH_URL_PREFIXES": [pki.url + "/"],
            "SEAL_PKCS12": seal,
            "SEAL_PASSPHRASE": PASSPHRASE,
            "BACKOFFICE_DROP_DIR": tmp_path / "drop",
            # Notifications are tested in tests/notifications/, which offers channels; elsewhere
            # none is offered, so the outbox holds only what goes to the back office.
            "NOTIFICATION_CHANNELS": [],
            # Payments are tested in tests/payments/ (and the browser journeys), which offer
            # providers; elsewhere fees are shown only and a dossier goes out when submitted.
            "PAYMENT_PROVIDERS": [],
            "AGENCY_TRUST": {
                name: {"roots": [pki.agency_root_pem]} for name in ("filesystem", "failing", "http", "dvcqg")
            },
            **config,
        }
        instance_path = instance_path or str(tmp_path / "instance")
        app = create_app(settings, instance_path=instance_path)
        app.config["TESTING"] = True
        database.bind(app)
        return app

    return make


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
