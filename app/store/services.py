"""Keeping, offering, using and removing the documents of an applicant's store.

Kept automatically, in the caller's transaction (`keep_submitted` at submission, `keep_results`
when the agency's results arrive, `keep_receipt` when a payment is settled): each distinct
content once per account, whatever repeats (one insert that does nothing on a conflict, so
concurrent submissions cannot fail on it). `use` and `remove` are one transaction each. A
document is reached only by its owner: for any other account (or none) it does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import Account
from app.attachments import services as attachments
from app.catalog.schema import Component
from app.dossiers.models import Attachment, Dossier
from app.dossiers.records import procedure_of
from app.dossiers.status import TRANSITIONS
from app.extensions import db
from app.forms.components import Slot
from app.results.models import ResultDocument
from app.store.models import RECEIPT, RESULT, SUBMITTED, StoredDocument
from app.supplements.models import Supplement, SupplementFile

# A dossier is done with its documents once no state can follow (refused, withdrawn, stopped,
# result returned); until then (a draft included) it may still need them.
FINAL = frozenset(s for s, following in TRANSITIONS.items() if not following)


class InUse(Exception):
    """A dossier in progress uses the document: it stays."""

    def __init__(self, dossier: Dossier) -> None:
        super().__init__(f"used by dossier {dossier.code or dossier.public_id}")
        self.dossier = dossier


def _insert(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = cast(Table, StoredDocument.__table__)
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    for row in rows:  # one by one: a conflict skips that row only
        db.session.execute(
            insert(table)
            .values(**row)
            .on_conflict_do_nothing(index_elements=[table.c.account_id, table.c.sha256])
        )


def _submitted(
    dossier: Dossier, document: Attachment | SupplementFile, components: dict[str, Component]
) -> dict[str, Any]:
    """The store's row for a document the applicant sent with `dossier` (or a supplement to it)."""
    component = components.get(document.component_code)
    return {
        "account_id": dossier.account_id,
        "source": SUBMITTED,
        "dossier_id": dossier.id,
        "dossier_code": dossier.code,
        "procedure_code": dossier.procedure_code,
        "component_code": document.component_code,
        "document_type": component.type if component else None,
        "title": component.name.model_dump()
        if component
        else {"vi": document.filename, "en": document.filename},
        "filename": document.filename,
        "media_type": document.media_type,
        "size": document.size,
        "sha256": document.sha256,
        "signatures": document.signatures if isinstance(document, Attachment) else None,
    }


def keep_submitted(dossier: Dossier) -> None:
    """Every document of a dossier with an account, into that account's store (the caller's
    transaction: the submission's)."""
    if dossier.account_id is None:
        return
    components = {c.code: c for c in procedure_of(dossier).definition.components}
    _insert([_submitted(dossier, a, components) for a in dossier.attachments])


def keep_supplement(dossier: Dossier, supplement: Supplement) -> None:
    """The files of a supplement the applicant sent, into the store of the dossier's account,
    like the dossier's own documents (the caller's transaction: the supplement's signature)."""
    if dossier.account_id is None:
        return
    components = {c.code: c for c in procedure_of(dossier).definition.components}
    _insert([_submitted(dossier, f, components) for f in supplement.files])


def keep_results(dossier: Dossier, results: Iterable[ResultDocument]) -> None:
    """The agency's results, into the store of the dossier's account, as electronic copies (bản
    sao điện tử) for later procedures; the nth result has the type of the nth result the
    definition names, if it gives one (the caller's transaction: the status event's)."""
    if dossier.account_id is None:
        return
    declared = procedure_of(dossier).definition.results
    rows = []
    for r in results:
        kind = declared[r.number - 1] if r.number <= len(declared) else None
        title = kind.name.model_dump() if kind else {"vi": "Kết quả giải quyết", "en": "Result"}
        rows.append(
            {
                "account_id": dossier.account_id,
                "source": RESULT,
                "dossier_id": dossier.id,
                "dossier_code": dossier.code,
                "procedure_code": dossier.procedure_code,
                "component_code": None,
                "result_code": r.code,
                "document_type": kind.type if kind else None,
                "title": title,
                "filename": r.file_name,
                "media_type": "application/pdf",  # results are signed PDFs (app.results.services)
                "size": r.size,
                "sha256": r.sha256,
                "signatures": None,
            }
        )
    _insert(rows)


def keep_receipt(dossier: Dossier, *, number: str, filename: str, size: int, sha256: str) -> None:
    """The sealed receipt (biên lai) of fees paid for a dossier with an account, into that
    account's store (the caller's transaction: the payment's settlement); its number is kept
    where a result keeps its code. A receipt is no document a procedure asks for: it has no type."""
    if dossier.account_id is None:
        return
    _insert(
        [
            {
                "account_id": dossier.account_id,
                "source": RECEIPT,
                "dossier_id": dossier.id,
                "dossier_code": dossier.code,
                "procedure_code": dossier.procedure_code,
                "component_code": None,
                "result_code": number,
                "document_type": None,
                "title": {
                    "vi": f"Biên lai thu phí, lệ phí số {number}",
                    "en": f"Receipt of fees no. {number}",
                },
                "filename": filename,
                "media_type": "application/pdf",
                "size": size,
                "sha256": sha256,
                "signatures": None,
            }
        ]
    )


def documents_of(account: Account) -> list[StoredDocument]:
    return list(
        db.session.scalars(
            select(StoredDocument)
            .where(StoredDocument.account_id == account.id)
            .order_by(StoredDocument.created_at.desc(), StoredDocument.id.desc())
        )
    )


def document_of(account: Account | None, document_id: int) -> StoredDocument | None:
    """The account's document; None for another account's, an unknown one, or no account."""
    if account is None:
        return None
    found = db.session.get(StoredDocument, document_id)
    return found if found is not None and found.account_id == account.id else None


def matches(document: StoredDocument, procedure_code: str, component: Component) -> bool:
    """Whether the document may stand for the component: the same component of the same
    procedure (component codes mean nothing across procedures), or a type the component is or
    accepts."""
    same = document.procedure_code == procedure_code and document.component_code == component.code
    return same or (document.document_type is not None and document.document_type in component.document_types)


def may_use(account: Account | None, dossier: Dossier) -> bool:
    """The store is offered on the account's own dossiers only: what it fills in is then kept
    and counted as in use by the same account."""
    return account is not None and dossier.account_id == account.id


def offers(account: Account | None, dossier: Dossier, slots: list[Slot]) -> dict[str, list[StoredDocument]]:
    """For each slot (by its anchor) the stored documents that may stand for it, but those
    attached to it already."""
    if not may_use(account, dossier):
        return {}
    assert account is not None
    held = documents_of(account)
    found = {}
    for slot in slots:
        given = {a.sha256 for a in dossier.attachments if slot.holds(a)}
        fitting = [
            d for d in held if d.sha256 not in given and matches(d, dossier.procedure_code, slot.component)
        ]
        if fitting:
            found[slot.anchor] = fitting
    return found


class NotOffered(Exception):
    """No such document for this account, or not one that may stand for this component."""


def use(
    account: Account | None, dossier: Dossier, component: Component, document_id: int, *, entry: int | None
) -> Attachment:
    """Attach a stored document to the component (one transaction): the same blob, its name,
    media type, size and signatures carried over; the component's checks apply
    (attachments.UploadRefused says why not)."""
    document = document_of(account, document_id)
    if (
        document is None
        or not may_use(account, dossier)
        or not matches(document, dossier.procedure_code, component)
    ):
        raise NotOffered()
    existing = attachments.Existing(
        filename=document.filename,
        media_type=document.media_type,
        size=document.size,
        sha256=document.sha256,
        signatures=document.signatures,
    )
    return attachments.store_existing(dossier, component, existing, entry=entry)


def in_use_by(document: StoredDocument) -> Dossier | None:
    """A dossier of the document's account, not final, one of whose files is this document."""
    return db.session.scalar(
        select(Dossier)
        .join(Attachment, Attachment.dossier_id == Dossier.id)
        .where(
            Dossier.account_id == document.account_id,
            Attachment.sha256 == document.sha256,
            Dossier.status.not_in([str(s) for s in FINAL]),
        )
        .order_by(Dossier.id)
        .limit(1)
    )


def remove(document: StoredDocument) -> None:
    """Take the document out of the store (one transaction), unless a dossier in progress uses
    it (InUse names it). The blob stays: attachments and results may name it too, and the
    retention sweep deletes it once nothing does."""
    using = in_use_by(document)
    if using is not None:
        raise InUse(using)
    db.session.delete(document)
    db.session.commit()
