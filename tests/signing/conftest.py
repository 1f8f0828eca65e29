from __future__ import annotations

import io

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
