"""The store's tests: two procedures of their own (a licence, and its renewal asking for it by
document type), dossiers owned by an account made through the services."""

from __future__ import annotations

from pathlib import Path

from app.dossiers.models import Dossier
from app.extensions import db
from app.journey import submission
from app.store.models import StoredDocument
from tests.factories import AttachmentFactory, DraftFactory, SignatureFactory

CATALOG = Path(__file__).parent / "catalog"
LICENCE, RENEWAL = "S.000001", "S.000002"


def owned_draft(account_id: int, procedure: str, files: dict[str, tuple[str, bytes]] | None = None):
    """A draft of `procedure`, answered, owned by the account, holding `files` by component
    (inside a request context); the factory's Started (dossier and secret)."""
    made = DraftFactory(procedure=procedure, attached=False)
    made.dossier.account_id = account_id  # what the sign-in branch does when a dossier starts
    db.session.commit()
    for code, (name, content) in (files or {}).items():
        AttachmentFactory(dossier=made.dossier, component=code, filename=name, content=content)
    return made


def sign_and_submit(dossier: Dossier, key: tuple[bytes, str]) -> None:
    SignatureFactory(dossier=dossier, key=key)
    submission.submit(dossier)


def stored(account_id: int) -> list[StoredDocument]:
    return list(
        db.session.scalars(
            db.select(StoredDocument)
            .where(StoredDocument.account_id == account_id)
            .order_by(StoredDocument.id)
        )
    )


def blob_files(root: Path) -> list[Path]:
    """The blobs on disk (what is being written lives in tmp/, and is not one)."""
    return sorted(p for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp")
