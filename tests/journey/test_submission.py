"""Submitting is one transaction: a receipt that cannot be sealed keeps nothing, and says so."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import func, select

from app.catalog.loader import load_folder
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.journey import attach_required, fill_steps, start

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
REFUSAL = {
    "en": "Your dossier could not be submitted because its receipt could not be sealed.",
    "vi": "Chưa nộp được hồ sơ vì không đóng dấu được giấy tiếp nhận.",
}


def _closed_port() -> int:
    """A loopback port nobody listens on: a timestamp authority that cannot be reached."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_a_receipt_that_cannot_be_sealed_submits_nothing(make_app, locale):
    # Unsigned dossiers may be submitted here, so the only signature made is the receipt's seal,
    # and its timestamp authority is unreachable.
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        SIGNING_REQUIRED=False,
        SIGNING_TSA_URL=f"http://127.0.0.1:{_closed_port()}/tsa",
    )
    client = app.test_client()
    client.get(f"/language/{locale}")
    documents = fill_steps(client, DEFINITION, start(client, DEFINITION.code))
    attach_required(client, DEFINITION, documents)
    review_url = documents.removesuffix("/documents") + "/review"
    review = client.get(review_url)
    answer = client.post(review_url, data={"csrf_token": csrf_token(review)}, follow_redirects=True)
    assert answer.status_code == 200
    assert answer.request.path == review_url
    assert REFUSAL[locale] in page(answer).get_text(" ", strip=True)
    with app.app_context():
        dossier = db.session.scalar(select(Dossier))
        assert dossier.status == Status.DRAFT
        assert dossier.code is None
        assert dossier.receipt_sha256 is None
        assert [e.to_status for e in dossier.events] == [Status.DRAFT]
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    public_id = review_url.split("/")[2]
    assert client.get(f"/dossiers/{public_id}/receipt.pdf").status_code == 404
