"""My dossiers: what an account holds (read only), and the claim (one transaction)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from app.accounts.models import Account
from app.catalog.schema import Procedure
from app.dossiers import records
from app.dossiers.models import Dossier, DossierEvent
from app.dossiers.status import Stage
from app.extensions import db
from app.results import services as results
from app.results.models import ResultDocument
from app.signing import services as signing
from app.signing.models import ExternalSigningSession
from app.store import services as store
from app.supplements import services as supplements
from app.supplements.models import Supplement

SHOWN_PER_STAGE = 10  # on the overview; each stage's own page lists the rest, PAGE_SIZE at a time
PAGE_SIZE = 20
REFERENCE_MAX = 40  # a dossier code (Dossier.code) is the longer of the two references


@dataclass(frozen=True)
class Entry:
    """One dossier as the list shows it, with what the applicant can open of it."""

    dossier: Dossier
    definition: Procedure | None  # None: the procedure version is no longer in the catalog
    history: list[DossierEvent]
    signed: bool
    supplements: list[Supplement]
    open_supplement: Supplement | None
    results: list[ResultDocument]

    @property
    def stage(self) -> Stage:
        return Stage.of(self.dossier.status_enum)


@dataclass(frozen=True)
class Listing:
    stage: Stage
    entries: list[Entry]
    total: int
    page: int
    pages: int


def _entry(dossier: Dossier) -> Entry:
    try:
        definition: Procedure | None = records.procedure_of(dossier).definition
    except LookupError:
        definition = None
    return Entry(
        dossier=dossier,
        definition=definition,
        history=list(reversed(dossier.events)),  # newest first
        signed=signing.current_signature(dossier) is not None,
        supplements=supplements.of(dossier),
        open_supplement=supplements.open_for(dossier),
        results=results.results_of(dossier),
    )


def listing(account: Account, stage: Stage, *, page: int = 1, per_page: int = PAGE_SIZE) -> Listing:
    """The account's dossiers in one stage, most recently changed first, one page of them."""
    where = (Dossier.account_id == account.id, Dossier.status.in_(list(stage.statuses)))
    total = db.session.scalar(select(func.count()).select_from(Dossier).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    found = db.session.scalars(
        select(Dossier)
        .where(*where)
        .order_by(Dossier.updated_at.desc(), Dossier.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return Listing(stage, [_entry(d) for d in found], total, page, pages)


def overview(account: Account) -> list[Listing]:
    """Every stage, the most recent SHOWN_PER_STAGE of each."""
    return [listing(account, stage, per_page=SHOWN_PER_STAGE) for stage in Stage]


@dataclass(frozen=True)
class Claimable:
    dossier: Dossier
    definition: Procedure | None
    at: datetime


def claimable(held: Mapping[str, str]) -> list[Claimable]:
    """The unowned dossiers whose secrets this browser holds (public id -> secret)."""
    found = []
    for public_id, secret in held.items():
        dossier = records.find_by_public_id(public_id)
        if (
            dossier is not None
            and dossier.account_id is None
            and hmac.compare_digest(dossier.secret_hash, records.hash_secret(secret))
        ):
            try:
                definition: Procedure | None = records.procedure_of(dossier).definition
            except LookupError:
                definition = None
            found.append(Claimable(dossier, definition, dossier.updated_at))
    return found


class NotFound(Exception):
    """No unowned dossier has this reference and secret (or it is someone else's now: the same)."""


def find_claimable(reference: str, secret: str) -> Dossier:
    """The dossier a reference (its code, or its public id) and its secret name, if no account
    holds it yet. Every other case (a wrong reference, a wrong secret, a dossier of another
    account) is the same NotFound: the answer tells nothing about which was wrong."""
    reference = reference.strip()
    secret = secret.strip().rsplit("/resume/", 1)[-1]  # the whole resume link pasted will do
    dossier = records.find_by_secret(secret) if 0 < len(reference) <= REFERENCE_MAX else None
    if (
        dossier is None
        or reference not in {dossier.code, dossier.public_id}
        or dossier.account_id is not None
    ):
        raise NotFound()
    return dossier


def claim(dossier: Dossier, account: Account) -> None:
    """Attach an unowned dossier to `account`, in one transaction. From then on only that
    account reaches it: the secret alone no longer does, and an external signing session the
    secret's holder opened before is closed. Two claims at once: the dossier's version check
    lets one win; the other gets NotFound. A dossier sent already brings its documents, its
    supplements' and its results into the account's store (My documents)."""
    if dossier.account_id is not None:
        raise NotFound()
    dossier.account_id = account.id
    try:
        records.flush()  # the version check: a concurrent claim or change wins, this one is refused
    except records.DossierChanged:
        raise NotFound() from None
    db.session.execute(
        update(ExternalSigningSession)
        .where(
            ExternalSigningSession.dossier_id == dossier.id,
            ExternalSigningSession.state.in_(("open", "prepared")),
        )
        .values(state="failed")
        .execution_options(synchronize_session=False)
    )
    if dossier.code is not None:  # sent already: what the applicant sent and got back is theirs
        store.keep_submitted(dossier)
        for supplement in supplements.of(dossier):
            if supplement.state == "submitted":
                store.keep_supplement(dossier, supplement)
        store.keep_results(dossier, results.results_of(dossier))
    records.commit()
