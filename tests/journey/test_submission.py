"""Submitting seals nothing: the receipt comes at acceptance. Accepting is one transaction: a
receipt that cannot be sealed keeps nothing, and the back office is told to send it again."""

from __future__ import annotations

import socket

from sqlalchemy import func, select

from app.catalog.loader import load_folder
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.events.models import StatusEventRecord
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.backoffice.fixtures import SECRET
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.events import accept
from tests.journey import attach_required, fill_steps, start

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition


def _closed_port() -> int:
    """A loopback port nobody listens on: a timestamp authority that cannot be reached."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_receipt_that_cannot_be_sealed_accepts_nothing(make_app):
    # Unsigned dossiers may be submitted here, so the only signature made is the receipt's seal,
    # and its timestamp authority is unreachable.
    app = make_app(
        CATALOG_DIR=TEST_CATALOG,
        SIGNING_REQUIRED=False,
        SIGNING_TSA_URL=f"http://127.0.0.1:{_closed_port()}/tsa",
        BACKOFFICE_SECRETS={"filesystem": SECRET},
    )
    client = app.test_client()
    client.get("/language/en")
    documents = fill_steps(client, DEFINITION, start(client, DEFINITION.code))
    attach_required(client, DEFINITION, documents)
    review_url = documents.removesuffix("/documents") + "/review"
    review = client.get(review_url)
    answer = client.post(review_url, data={"csrf_token": csrf_token(review)}, follow_redirects=True)
    # Submitted: nothing is sealed at submission, whatever the timestamp authority does.
    assert answer.request.path.endswith("/acknowledgement")
    code = page(answer).select_one(".dossier-code").get_text(strip=True)
    refused = accept(client, code)
    assert refused.status_code == 503
    assert "the receipt could not be sealed" in refused.json["title"]
    with app.app_context():
        dossier = db.session.scalar(select(Dossier))
        assert dossier.status == Status.NEW
        assert dossier.receipt_sha256 is None
        assert [e.to_status for e in dossier.events][-1] == Status.NEW
        assert db.session.scalar(select(func.count()).select_from(StatusEventRecord)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    public_id = review_url.split("/")[2]
    assert client.get(f"/dossiers/{public_id}/receipt.pdf").status_code == 404
    assert client.get(f"/dossiers/{public_id}/receipt").status_code == 404
