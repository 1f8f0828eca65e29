"""Malformed PDFs (an unknown filter, an encryption pypdf does not implement, nesting past the
stack) are refused with a message that says why, on the dossier's documents and on supplements,
in both languages, and leave nothing behind. None of them is a server error."""

from __future__ import annotations

import pytest

from tests.attachments.test_uploads import attachment_rows, error_on_page, stored_files
from tests.conftest import page
from tests.hostile import MALFORMED_PDFS
from tests.journey import start, upload
from tests.supplements.test_supplements import asked, attach

IDS = [name for name, *_ in MALFORMED_PDFS]


@pytest.mark.parametrize(("name", "content", "english", "vietnamese"), MALFORMED_PDFS, ids=IDS)
def test_dossier_documents_refuse_malformed_pdfs(test_client, test_app, name, content, english, vietnamese):
    documents_url = start(test_client, "T.000001").rsplit("/steps/", 1)[0] + "/documents"
    response = upload(test_client, documents_url, "DOC", name, content)
    assert response.status_code == 400
    assert error_on_page(response, "DOC") == english
    test_client.get("/language/vi")
    response = upload(test_client, documents_url, "DOC", name, content)
    assert error_on_page(response, "DOC") == vietnamese
    assert stored_files(test_app) == []
    assert attachment_rows(test_app) == 0


@pytest.mark.parametrize(("name", "content", "english", "vietnamese"), MALFORMED_PDFS, ids=IDS)
def test_supplements_refuse_malformed_pdfs(tracked, name, content, english, vietnamese):
    _app, client, _code, base = asked(tracked)
    response = attach(client, base, name, content)
    assert response.status_code == 400
    assert page(response).select_one(".error-summary .refusal").get_text(strip=True) == english
    client.get("/language/vi")
    response = attach(client, base, name, content)
    assert page(response).select_one(".error-summary .refusal").get_text(strip=True) == vietnamese
    assert page(client.get(f"{base}/supplement")).select(".files .file-name") == []
