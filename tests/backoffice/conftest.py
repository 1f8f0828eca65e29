from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.catalog.loader import load_folder
from tests.backoffice.reference import ReferenceBackOffice
from tests.conftest import TEST_CATALOG, page
from tests.journey import apply

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
    """A dossier submitted through the web, sent to `filesystem`, whose events SECRET signs."""
    app = make_app(
        CATALOG_DIR=TEST_CATALOG, BACKOFFICE_SECRETS={"filesystem": SECRET, "failing": "another back office"}
    )
    client = app.test_client()
    client.get("/language/en")
    receipt = page(apply(client, DEFINITION, citizen_key))
    code = receipt.select_one(".dossier-code").get_text(strip=True)
    status_url = receipt.select_one('a[href$="/status"]')["href"]
    return app, client, code, status_url
