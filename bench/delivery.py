"""Delivery: packages per second to the reference back office with one and with two workers,
and the cost of building a package around a 20 MB attachment against a plain copy of its bytes.

    python -m bench.delivery

Everything is real and on this machine: the portal's database (SQLite) and blob store, `flask
deliver` worker processes, the reference back office (examples/backoffice/server.py), which
verifies every package (seal with xmlsec1, the applicant's signature with pyHanko) before
giving it a receipt. Each round queues the same dossiers again for a back office with an empty
memory, so every package is built, sent, verified and stored once per round.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select, update

from app import clock, create_app
from app.catalog.loader import load_folder
from app.delivery.packages import build
from app.dossiers.models import Attachment, Dossier
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.storage import get_blobs
from bench.common import median_seconds
from tests.backoffice.clones import clone_submitted
from tests.backoffice.reference import ReferenceBackOffice
from tests.conftest import TEST_CATALOG
from tests.delivery.workers import start_worker
from tests.journey import submitted
from tests.pki import PASSPHRASE, serve

DOSSIERS = 120
ROUNDS = 3
ATTACHMENT_MB = 20


def portal(folder: Path, pki, reference: ReferenceBackOffice):
    seal = folder / "seal.p12"
    seal.write_bytes(pki.pkcs12("seal"))
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'portal.sqlite3'}",
            "BLOB_DIR": folder / "blobs",
            "SECRET_KEY": "bench",
            "CATALOG_DIR": TEST_CATALOG,
            "SIGNING_TRUST_ROOTS": [pki.root_pem],
            "SEAL_PKCS12": seal,
            "SEAL_PASSPHRASE": PASSPHRASE,
            "BACKOFFICE_DEFAULT": "http",
            "BACKOFFICE_OPTIONS": {"http": reference.options()},
        },
        instance_path=str(folder / "instance"),
    )
    with app.app_context():
        upgrade()
    return app


def queue(app, state: str) -> None:
    """Every message pending and due now, or parked (nothing for the workers to do)."""
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).values(
                state=state, attempts=0, next_attempt_at=clock.now(), claimed_until=None, reference=None
            )
        )
        db.session.commit()


def undelivered(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != "delivered")
        )


def packages_per_second(app, reference: ReferenceBackOffice, workers: int, round_: int) -> float:
    reference.data = reference.data.with_name(f"backoffice-{workers}-{round_}")
    reference.start()
    queue(app, "parked")
    processes = [start_worker(app, "--interval", "0.05") for _ in range(workers)]
    time.sleep(4)  # the workers are up and idle: nothing is queued
    started = time.perf_counter()
    queue(app, "pending")
    while undelivered(app):
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
    received = reference.dossiers()
    if len(received) != DOSSIERS or {d["deliveries"] for d in received} != {1}:
        raise SystemExit(f"not every dossier was delivered exactly once: {received[:3]}")
    return DOSSIERS / elapsed


def package_cost(app) -> tuple[float, float]:
    """Median seconds to write the package of a dossier holding a 20 MB attachment, and to copy
    the same 20 MB file to a temporary file."""
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).order_by(Dossier.id)).first()
        data = os.urandom(ATTACHMENT_MB * 1024 * 1024)  # like a scan: compressed already
        sha = get_blobs().put(data)
        attachment: Attachment = dossier.attachments[0]
        attachment.sha256, attachment.size = sha, len(data)
        db.session.commit()
        source = get_blobs().path(sha)

        def package() -> None:
            with tempfile.TemporaryFile() as out:
                build(dossier).write_zip(out)

        def copy() -> None:
            with tempfile.TemporaryFile() as out, source.open("rb") as blob:
                shutil.copyfileobj(blob, out, 1024 * 1024)

        return median_seconds(package, repeat=7), median_seconds(copy, repeat=7)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="opendvc-bench-delivery-") as name:
        folder = Path(name)
        pki, pki_server = serve(folder / "pki")
        reference = ReferenceBackOffice(data=folder / "backoffice", trust_roots=pki.root_pem)
        try:
            reference.start()
            app = portal(folder, pki, reference)
            definition = load_folder(TEST_CATALOG)["T.000001"].definition
            submitted(app, definition, (pki.pkcs12("citizen"), PASSPHRASE))
            clone_submitted(app, DOSSIERS - 1)
            one, two = [], []
            for round_ in range(ROUNDS):
                one.append(packages_per_second(app, reference, 1, round_))
                two.append(packages_per_second(app, reference, 2, round_))
            single, double = statistics.median(one), statistics.median(two)
            print(f"delivery of {DOSSIERS} dossiers to the reference back office, median of {ROUNDS} rounds")
            print(f"  1 worker : {single:6.1f} packages/s (baseline)")
            print(f"  2 workers: {double:6.1f} packages/s ({double / single:.2f}x)")
            packaged, copied = package_cost(app)
            print(f"package with a {ATTACHMENT_MB} MB attachment, median of 7")
            print(f"  plain copy of the bytes: {copied * 1000:7.1f} ms (baseline)")
            print(f"  package (zip, manifests, seal): {packaged * 1000:7.1f} ms ({packaged / copied:.2f}x)")
        finally:
            reference.stop()
            pki_server.shutdown()


if __name__ == "__main__":
    main()
