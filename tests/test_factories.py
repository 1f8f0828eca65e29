"""The factories make what the web journey makes."""

from __future__ import annotations

from app.dossiers.status import Status
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests import files
from tests.conftest import page
from tests.factories import (
    AcceptedFactory,
    AttachmentFactory,
    DraftFactory,
    OutboxMessageFactory,
    SignedFactory,
    SubmittedFactory,
    resume_url,
)


def test_a_submitted_dossier_is_what_the_journey_makes(test_app, test_client, citizen_key):
    with test_app.test_request_context():
        made = SubmittedFactory(key=citizen_key)
        assert made.dossier.status == Status.NEW
        assert made.dossier.code
        assert made.dossier.receipt_sha256 is None  # the receipt comes at acceptance
        assert db.session.scalars(db.select(OutboxMessage)).one().dossier_id == made.dossier.id
        code = made.dossier.code
    status = page(test_client.get(resume_url(made), follow_redirects=True))
    assert code in status.get_text()


def test_an_accepted_dossier_has_its_sealed_receipt(test_app, citizen_key):
    with test_app.test_request_context():
        made = AcceptedFactory(key=citizen_key, promised_on="2099-01-02")
        assert made.dossier.status == Status.ACCEPTED
        assert made.dossier.receipt_sha256
        assert made.dossier.due_on.isoformat() == "2099-01-02"


def test_drafts_signed_or_not_with_more_files(test_app, citizen_key):
    with test_app.test_request_context():
        empty = DraftFactory(answered=False, attached=False)
        assert empty.dossier.answers == {}
        assert not empty.dossier.attachments
        signed = SignedFactory(key=citizen_key)
        assert signed.dossier.status == Status.SIGNED
        AttachmentFactory(dossier=signed.dossier, component="IMG", filename="b.png", content=files.png())
        assert signed.dossier.status == Status.DRAFT  # a new file: the signature no longer covers it
        assert OutboxMessageFactory(key=citizen_key).state == "pending"
