from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.catalog.loader import load_folder
from tests.backoffice.reference import ReferenceBackOffice
from tests.conftest import TEST_CATALOG
from tests.factories import SubmittedFactory, resume_url

SECRET = "một bí mật dùng chung với hệ thống một cửa"
DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition


@pytest.fixture
def reference(tmp_path, pki) -> Iterator[ReferenceBackOffice]:
    """The reference back office, not yet started (tests start it, with or without a fault)."""
    backoffice = ReferenceBackOffice(data=tmp_path / "reference-backoffice", trust_roots=pki.root_pem)
    yield backoffice
    backoffice.stop()


@pytest.fixture
def tracked(make_app, citizen_key):
    """A submitted dossier (made by the services), sent to `filesystem`, whose events SECRET
    signs, and the applicant's browser holding it."""
    app = make_app(
        CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET, "failing": "another back office"}
    )
    with app.test_request_context():
        made = SubmittedFactory(procedure=DEFINITION.code, key=citizen_key)
        code, status_url = made.dossier.code, f"/dossiers/{made.dossier.public_id}/status"
    client = app.test_client()
    client.get("/language/en")
    assert client.get(resume_url(made)).headers["Location"] == status_url
    return app, client, code, status_url
