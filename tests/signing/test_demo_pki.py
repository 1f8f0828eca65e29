"""The demo PKI lets a newcomer sign end to end on a fresh `make run`."""

from __future__ import annotations

from app.signing import get_signing
from app.signing.demo import DEMO_PASSPHRASE
from tests import files
from tests.conftest import TEST_CATALOG, page
from tests.journey import sign_with_pkcs12, start, upload
from tests.journey.test_steps import base_of, fill_all


def test_demo_pki_is_made_once_and_lets_a_newcomer_sign(make_app, tmp_path):
    instance = tmp_path / "instance"
    app = make_app(instance_path=str(instance), CATALOG_DIR=TEST_CATALOG, SIGNING_TRUST_ROOTS=[])
    runner = app.test_cli_runner()
    assert "demo PKI written" in runner.invoke(args=["pki", "demo"]).output
    assert "already" in runner.invoke(args=["pki", "demo"]).output
    pki = instance / "pki"
    assert sorted(p.name for p in pki.iterdir()) == [
        "agency-root.pem",
        "agency.p12",
        "citizen.p12",
        "root.pem",
        "seal.p12",
    ]
    assert {oct(p.stat().st_mode & 0o777) for p in pki.iterdir()} == {"0o600"}

    restarted = make_app(instance_path=str(instance), CATALOG_DIR=TEST_CATALOG, SIGNING_TRUST_ROOTS=[])
    with restarted.app_context():
        assert get_signing().provider("seal").configured
    client = restarted.test_client()
    client.get("/language/en")
    url = start(client, "T.000001")
    fill_all(client, url)
    upload(client, base_of(url) + "/documents", "DOC", "a.pdf", files.pdf())
    response = sign_with_pkcs12(client, base_of(url), (pki / "citizen.p12").read_bytes(), DEMO_PASSPHRASE)
    assert response.status_code == 302
    assert "Nguyễn Văn Demo" in page(client.get(base_of(url) + "/review")).select_one(".signed").get_text()
