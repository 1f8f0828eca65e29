from __future__ import annotations

import io

import pytest
import requests
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

from app.signing.keys import from_pkcs12
from tests.factories import DraftFactory, resume_url
from tests.pki import PASSPHRASE
from tests.signing.kinds import KINDS, ToSign, app_config, prepare


@pytest.fixture
def ready(test_app, test_client):
    """A complete, unsigned dossier of the test procedure, held by `test_client`: its base URL."""
    with test_app.test_request_context():
        made = DraftFactory()
        base = f"/dossiers/{made.dossier.public_id}"
    assert test_client.get(resume_url(made)).status_code == 302
    return base


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


@pytest.fixture(params=KINDS)
def kind(request) -> str:
    """Each kind of declaration an applicant signs: the dossier's, a supplement's."""
    return request.param


@pytest.fixture
def to_sign(kind, make_app, citizen_key) -> ToSign:
    """A declaration of each kind, ready to sign, in an app with the default ways to sign."""
    return prepare(kind, make_app(**app_config()), citizen_key)


@pytest.fixture
def served(kind, live_server, citizen_key):
    """A declaration of each kind ready to sign, on a server on 127.0.0.1, and the applicant's
    browser (a requests session holding their cookie)."""

    def serve(**config: object) -> tuple[ToSign, requests.Session, str]:
        server = live_server(**app_config(**config))
        to_sign = prepare(kind, server.app, citizen_key)
        # A page with a form first, so that the cookie handed over already holds the CSRF secret
        # (else the server sets a second session cookie the browser's windows would not share).
        assert to_sign.client.get(to_sign.page_url).status_code == 200
        browser = requests.Session()
        browser.cookies.set("session", to_sign.client.get_cookie("session").value)
        return to_sign, browser, server.url

    return serve
