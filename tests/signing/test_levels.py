"""PAdES levels: B-B by default, B-T with a timestamp authority, B-LT with revocation data
embedded, B-LTA with a document timestamp; all against the TSA/OCSP/CRL on 127.0.0.1. For the
dossier's declaration and a supplement's alike."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.signing.kinds import app_config, prepare
from tests.signing.verifiers import missing_tools, pdfsig, pyhanko_validate


@pytest.mark.parametrize(
    ("settings", "level"),
    [
        ({}, "B-B"),
        ({"SIGNING_TSA": True}, "B-T"),
        ({"SIGNING_TSA": True, "SIGNING_EMBED_REVOCATION": True}, "B-LT"),
        ({"SIGNING_TSA": True, "SIGNING_LTA": True}, "B-LTA"),
    ],
)
def test_each_level(kind, make_app, pki, citizen_key, tmp_path, settings, level):
    if missing_tools():
        pytest.fail(f"needs {missing_tools()}")
    config = {k: v for k, v in settings.items() if k != "SIGNING_TSA"}
    if settings.get("SIGNING_TSA"):
        config["SIGNING_TSA_URL"] = pki.tsa_url
    to_sign = prepare(kind, make_app(**app_config(**config)), citizen_key)
    assert to_sign.sign_with_key_file(*citizen_key).status_code == 302
    if kind == "dossier":
        assert f"PAdES {level}" in to_sign.signed_by()
    signed = to_sign.signed_pdf()
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
