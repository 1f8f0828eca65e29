"""An applicant's dossiers in every state that matters, made through the services and claimed
into an account (app.mine.services.claim), for the My dossiers and the access tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask

from app.accounts.models import Account
from app.catalog.schema import Procedure
from app.dossiers.models import Dossier
from app.events import services as events
from app.extensions import db
from app.mine import services as mine
from app.outbox import queue as outbox
from app.storage import get_blobs
from app.supplements import services as supplements
from tests.backoffice.fixtures import DEFINITION
from tests.factories import DraftFactory, SignedFactory, SubmittedFactory
from tests.files import sample_for
from tests.results.test_results import result, signed_by

SUPPLEMENT_NOTE = "Bổ sung bản sao giấy chứng nhận"


@dataclass
class Made:
    """One dossier of the applicant: its public id, secret, code, and the ids of its objects."""

    state: str
    public_id: str
    secret: str
    code: str | None
    attachment_ids: list[int] = field(default_factory=list)
    supplement_file_ids: list[int] = field(default_factory=list)
    payment_references: list[str] = field(default_factory=list)  # its payments (app.payments)


def advance(
    dossier: Dossier, *statuses: int, results: list[dict] | None = None, note: str | None = None
) -> None:
    """The back office the dossier went to sends these statuses (one event each, in order)."""
    backoffice = outbox.sent_to(dossier)
    assert backoffice is not None
    assert dossier.code is not None
    for sequence, status in enumerate(statuses, 1):
        body: dict = {
            "event_id": f"evt-{dossier.code}-{sequence}",
            "dossier_code": dossier.code,
            "sequence": sequence,
            "status": status,
            "note": note if status == 5 else None,
        }
        if status == 10 and results:
            body["results"] = results
        answer = events.apply(backoffice, body)
        assert answer.status == 200, answer.title


def add_supplement_file(dossier: Dossier) -> int:
    supplement = supplements.open_for(dossier)
    assert supplement is not None
    component = next(c for c in DEFINITION.components if c.code == "DOC")
    name, content = sample_for(["pdf"])
    writer = get_blobs().writer(len(content))
    writer.write(content)
    return supplements.add_file(supplement, component, writer, name).id


def dossiers_of(
    app: Flask, account: Account | None, key: tuple[bytes, str], pki, *, definition: Procedure = DEFINITION
) -> dict[str, Made]:
    """One dossier in each state (draft, signed, submitted, supplement requested, with a
    result), claimed into `account` (None: left anonymous)."""
    made: dict[str, Made] = {}
    with app.test_request_context():
        owner = db.session.merge(account) if account is not None else None
        for state, factory in (
            ("draft", DraftFactory),
            ("signed", SignedFactory),
            ("submitted", SubmittedFactory),
            ("supplement", SubmittedFactory),
            ("result", SubmittedFactory),
        ):
            kwargs = {"procedure": definition.code}
            if factory is not DraftFactory:
                kwargs["key"] = key
            started = factory(**kwargs)
            dossier = started.dossier
            files: list[int] = []
            if state == "supplement":
                advance(dossier, 2, 5, note=SUPPLEMENT_NOTE)
                files.append(add_supplement_file(dossier))
            elif state == "result":
                advance(dossier, 2, 4, 9, 10, results=[result(signed_by(pki, "agency"))])
            if owner is not None:
                mine.claim(dossier, owner)
            made[state] = Made(
                state,
                dossier.public_id,
                started.secret,
                dossier.code,
                [a.id for a in dossier.attachments],
                files,
            )
    return made


def holding(client, made: dict[str, Made]) -> None:
    """Put these dossiers' secrets in the browser's session, as resume links would have."""
    with client.session_transaction() as held:
        held["dossiers"] = {m.public_id: m.secret for m in made.values()}
