"""The dossier manifest sealed as XAdES-BES with endesive, checked by xmlsec1."""

from __future__ import annotations

import subprocess

from lxml import etree

from app.catalog.loader import load_folder
from app.delivery.packages import inputs_of
from app.dossiers.models import Dossier
from app.extensions import db
from app.packaging import manifest
from app.signing import get_signing
from tests.conftest import TEST_CATALOG, page
from tests.journey import apply

NS = {"m": manifest.NAMESPACE, "ds": "http://www.w3.org/2000/09/xmldsig#"}


def xmlsec_verify(path, pki) -> subprocess.CompletedProcess:
    """Trusting the root only: the issuing CA comes from the manifest's KeyInfo."""
    (path.parent / "root.pem").write_bytes(pki.root_pem.read_bytes())
    return subprocess.run(
        [
            "xmlsec1",
            "--verify",
            "--trusted-pem",
            str(path.parent / "root.pem"),
            "--id-attr:Id",
            "SignedProperties",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_sealed_manifest_verifies_and_is_reproducible(test_app, test_client, citizen_key, pki, tmp_path):
    receipt = apply(test_client, load_folder(TEST_CATALOG)["T.000001"].definition, citizen_key)
    code = page(receipt).select_one(".dossier-code").get_text(strip=True)
    with test_app.app_context():
        dossier = db.session.scalars(db.select(Dossier)).one()
        seal = get_signing().provider("seal").signer()
        made = manifest.build(inputs_of(dossier), manifest_json_sha256="0" * 64)
        sealed = manifest.seal(made, seal, moment=dossier.received_at, package_key=dossier.code)
        again = manifest.seal(made, seal, moment=dossier.received_at, package_key=dossier.code)
        sha256 = dossier.attachments[0].sha256
    assert sealed == again
    tree = etree.fromstring(sealed)
    assert tree.findtext("m:MaHoSo", namespaces=NS) == code
    assert tree.findtext("m:TaiLieuNop/m:TepDinhKem/m:SHA256", namespaces=NS) == sha256
    path = tmp_path / "manifest.xml"
    path.write_bytes(sealed)
    result = xmlsec_verify(path, pki)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr or "OK" in result.stdout

    tampered = sealed.replace(sha256.encode(), ("0" * 64).encode())
    path.write_bytes(tampered)
    assert xmlsec_verify(path, pki).returncode != 0
