"""PAdES levels: B-B by default, B-T with a timestamp authority, B-LT with revocation data
embedded, B-LTA with a document timestamp; all against the TSA/OCSP/CRL on 127.0.0.1."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from tests import files
from tests.conftest import TEST_CATALOG, page
from tests.journey import sign_with_pkcs12, start, upload
from tests.signing.verifiers import missing_tools, pdfsig, pyhanko_validate
from tests.web.test_steps import base_of, fill_all


@pytest.mark.parametrize(
    ("settings", "level"),
    [
        ({}, "B-B"),
        ({"SIGNING_TSA": True}, "B-T"),
        ({"SIGNING_TSA": True, "SIGNING_EMBED_REVOCATION": True}, "B-LT"),
        ({"SIGNING_TSA": True, "SIGNING_LTA": True}, "B-LTA"),
    ],
)
def test_each_level(make_app, pki, citizen_key, tmp_path, settings, level):
    if missing_tools():
        pytest.fail(f"needs {missing_tools()}")
    config = {k: v for k, v in settings.items() if k != "SIGNING_TSA"}
    if settings.get("SIGNING_TSA"):
        config["SIGNING_TSA_URL"] = pki.tsa_url
    app = make_app(CATALOG_DIR=TEST_CATALOG, **config)
    client = app.test_client()
    client.get("/language/en")
    url = start(client, "T.000001")
    fill_all(client, url)
    base = base_of(url)
    upload(client, base + "/documents", "DOC", "a.pdf", files.pdf())
    assert sign_with_pkcs12(client, base, *citizen_key).status_code == 302
    shown = page(client.get(base + "/review")).select_one(".signed").get_text(" ", strip=True)
    assert f"PAdES {level}" in shown
    response = client.get(base + "/signed.pdf")
    signed = response.data
    response.close()
    reader = PdfFileReader(io.BytesIO(signed))
    signature = reader.embedded_signatures[0]
    unsigned = signature.signer_info["unsigned_attrs"]
    has_timestamp = (
        any(a["type"].native == "signature_time_stamp_token" for a in unsigned) if unsigned else False
    )
    assert has_timestamp == (level != "B-B")
    assert ("/DSS" in reader.root) == (level in ("B-LT", "B-LTA"))
    doc_timestamps = [s for s in reader.embedded_signatures if s.sig_object.get("/Type") == "/DocTimeStamp"]
    assert len(doc_timestamps) == (1 if level == "B-LTA" else 0)
    path = Path(tmp_path) / "signed.pdf"
    path.write_bytes(signed)
    assert pdfsig(path).valid
    assert pyhanko_validate(path, pki.root_pem).returncode == 0
