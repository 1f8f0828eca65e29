from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.signing.keys import from_pkcs12
from tests import files
from tests.conftest import csrf_token
from tests.journey import start, upload
from tests.pki import PASSPHRASE
from tests.web.test_steps import base_of, fill_all


@pytest.fixture
def ready(test_client):
    """A complete, unsigned dossier of the test procedure: its base URL."""
    url = start(test_client, "T.000001")
    fill_all(test_client, url)
    upload(test_client, base_of(url) + "/documents", "DOC", "a.pdf", files.pdf())
    return base_of(url)


def sign_elsewhere(pdf: bytes, pkcs12: bytes, passphrase: str = PASSPHRASE) -> bytes:
    """What an applicant's own signing software does: sign the downloaded declaration."""
    out = io.BytesIO()
    signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name="Signature1", subfilter=SigSeedSubFilter.PADES),
        signer=from_pkcs12(pkcs12, passphrase),
        output=out,
    )
    return out.getvalue()


def upload_signed(client, base: str, pdf: bytes):
    sign_page = client.get(f"{base}/sign")
    boundary, body = encode_multipart(
        MultiDict({"csrf_token": csrf_token(sign_page), "signed": FileStorage(io.BytesIO(pdf), "signed.pdf")})
    )
    return client.post(
        f"{base}/sign/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


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
