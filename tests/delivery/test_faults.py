"""Delivery over HTTP to the reference back office, a real process, through its failures.

Whatever goes wrong — the back office is down, too slow, answers 500 or garbage, dies before or
after storing the package — every dossier arrives once it recovers, exactly once on its side,
and the portal records the back office's own reference.
"""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from sqlalchemy import update

from app import clock
from app.backoffice.http import SignedPoster, TransportOptions
from app.catalog.loader import load_folder
from app.delivery.packages import build
from app.delivery.worker import deliver_due
from app.dossiers.models import Dossier
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.backoffice.reference import SECRET
from tests.conftest import TEST_CATALOG
from tests.factories import submitted

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition


def time_passes(app) -> None:
    """Every waiting delivery is due again."""
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(next_attempt_at=clock.now()))
        db.session.commit()


def deliveries(app) -> dict[str, tuple[str, str | None, str | None]]:
    with app.app_context():
        rows = db.session.scalars(db.select(OutboxMessage))
        return {m.idempotency_key: (m.state, m.reference, m.last_error) for m in rows}


def portal(make_app, reference, **options):
    return make_app(
        CATALOG_DIR=TEST_CATALOG,
        BACKOFFICE_DEFAULT="http",
        BACKOFFICE_OPTIONS={"http": reference.options(**options)},
        DELIVERY_BACKOFF_SECONDS=60,  # a round tries each dossier once; time_passes() makes them due
    )


# How long the portal waits for an answer where the test wants it to give up (on a back office
# that holds the request for SLOW seconds), and where the test expects an answer. Any timeout
# near the time a loaded machine takes to answer (a second, say) makes the test fail there.
IMPATIENT = 10
SLOW = 60

FAULTS = {
    "down": "cannot reach 127.0.0.1",
    "error": "answered 500: internal error",
    "garbage": "without a reference: not a receipt",
    "die-before": "cannot reach 127.0.0.1",
    "die-after": "cannot reach 127.0.0.1",
    "slow": f"did not answer within {IMPATIENT} s",
}


RECEIVED = {
    "down": [1, 1],
    "error": [1, 1],
    "die-before": [1, 1],
    "garbage": [2, 2],  # stored, then answered nonsense
    "slow": [2, 2],  # stored, answered after the portal gave up waiting
    "die-after": [2, 1],  # stored the first, died before answering: the second found it down
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_dossier_arrives_once_after_the_back_office_recovers(make_app, citizen_key, reference, fault):
    reference.start().stop()  # a port of its own, and nothing listening on it yet
    impatient = portal(make_app, reference, timeout_seconds=IMPATIENT)
    codes = sorted(submitted(impatient, DEFINITION, citizen_key) for _ in range(2))
    if fault != "down":
        reference.start(fault=fault, slow_seconds=SLOW)
    with impatient.app_context():
        outcome = deliver_due()
    assert sorted(outcome.retrying) == codes
    assert all(FAULTS[fault] in error for _, _, error in deliveries(impatient).values())

    reference.start()  # recovered
    app = portal(make_app, reference)  # the same database, waiting as long as it takes
    time_passes(app)
    with app.app_context():
        assert sorted(deliver_due().delivered) == codes
    received = reference.dossiers()
    assert sorted(d["code"] for d in received) == codes  # none lost, none twice
    assert sorted(d["receipt_number"] for d in received) == [1, 2]
    # How often each package reached it: twice where it had stored one before failing.
    assert [d["deliveries"] for d in sorted(received, key=lambda d: d["code"])] == RECEIVED[fault]
    by_code = {d["code"]: f"BO-{d['receipt_number']:06d}" for d in received}
    assert {code: (state, ref) for code, (state, ref, _) in deliveries(app).items()} == {
        code: ("delivered", by_code[code]) for code in codes
    }


def post_package(reference, body: bytes, code: str, secret: str = SECRET):
    poster = SignedPoster(TransportOptions(url=f"{reference.url}/packages", secret=secret))
    return poster.post(io.BytesIO(body), content_type="application/zip", headers={"Idempotency-Key": code})


def test_the_reference_back_office_refuses_a_tampered_or_unsigned_package(make_app, citizen_key, reference):
    reference.start()
    app = portal(make_app, reference)
    code = submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        package = build(db.session.scalars(db.select(Dossier)).one()).zip_bytes()
    tampered = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, data + b"%" if info.filename.startswith("tai-lieu/") else data)
    answer = post_package(reference, tampered.getvalue(), code)
    assert answer.status_code == 422
    assert (
        "tai-lieu/01-DOC-document.pdf: does not match its sha256 in the manifest" in answer.json()["problems"]
    )
    assert post_package(reference, package, code, secret="not-the-shared-secret").status_code == 401
    assert post_package(reference, package, "000.00.99.G09-261123-9999").status_code == 422  # wrong key
    assert reference.dossiers() == []
    assert post_package(reference, package, code).json()["reference"] == "BO-000001"


def test_a_refused_package_fails_at_once_without_retrying(make_app, citizen_key, reference, pki, tmp_path):
    """A back office that cannot verify the package (here: it trusts another root) refuses it;
    retrying cannot help, so the delivery is marked failed for an operator at the first attempt."""
    reference.trust_roots = tmp_path / "rogue-root.pem"
    from asn1crypto import pem

    reference.trust_roots.write_bytes(pem.armor("CERTIFICATE", pki.cert_der("rogue")))
    reference.start()
    app = portal(make_app, reference)
    code = submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        assert deliver_due().failed == [code]
    state, ref, error = deliveries(app)[code]
    assert (state, ref) == ("failed", None)
    assert error.startswith("refused (422): the package does not verify")
    assert reference.dossiers() == []


def test_the_national_dialect_carries_the_dossier_under_its_names(make_app, citizen_key):
    from app.backoffice.dvcqg import record

    app = make_app(CATALOG_DIR=TEST_CATALOG)
    code = submitted(app, DEFINITION, citizen_key)
    with app.app_context():
        dossier = db.session.scalars(db.select(Dossier)).one()
        national = record(build(dossier).manifest, lambda code, sha256: f"https://portal/{code}/{sha256}")
        received = dossier.received_at.astimezone(clock.VIETNAM).strftime("%Y%m%d%H%M%S")
    assert national["MaHoSo"] == code
    assert national["NgayTiepNhan"] == received
    assert national["NgayHenTra"] == dossier.due_on.strftime("%Y%m%d") + "170000"
    assert (national["MaTTHC"], national["LoaiDoiTuong"], national["TrangThaiHoSo"]) == ("T.000001", "1", "1")
    assert [f["MaThanhPhanHoSo"] for f in national["TaiLieuNop"]] == ["DonDeNghi", "DOC"]
    assert time.strptime(national["NgayTiepNhan"], "%Y%m%d%H%M%S")


def test_over_https_the_back_office_admits_only_the_portal_with_its_client_certificate(
    make_app, citizen_key, reference, pki, tmp_path
):
    server_chain, server_key = pki.tls_files("tls_server", tmp_path)
    client_chain, client_key = pki.tls_files("tls_client", tmp_path)
    reference.env = {
        "REFERENCE_TLS_CERT": str(server_chain),
        "REFERENCE_TLS_KEY": str(server_key),
        "REFERENCE_TLS_CLIENT_CA": str(pki.root_pem),
    }
    reference.start()
    assert reference.url.startswith("https://127.0.0.1:")
    tls = {"ca_bundle": pki.root_pem}
    with_certificate = {**tls, "client_cert": client_chain, "client_key": client_key}
    stranger = portal(make_app, reference, **tls)
    code = submitted(stranger, DEFINITION, citizen_key)
    with stranger.app_context():
        assert deliver_due().retrying == [code]  # the TLS handshake fails without a certificate
    assert "cannot reach 127.0.0.1" in deliveries(stranger)[code][2]

    admitted = portal(make_app, reference, **with_certificate)
    time_passes(admitted)
    with admitted.app_context():
        assert deliver_due().delivered == [code], deliveries(admitted)
    cert = (str(client_chain), str(client_key))
    assert [d["code"] for d in reference.dossiers(verify=str(pki.root_pem), cert=cert)] == [code]
