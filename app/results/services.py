"""Accepting result documents: each must be a PDF carrying a valid signature of the agency,
checked with the same rules as the applicant's but against the trust configured for the back
office that sends it (OPENDVC_AGENCY_TRUST), never the applicants'; only then is it stored.
Runs in the caller's transaction (the status event's), never commits."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from app.dossiers.models import Dossier
from app.extensions import db
from app.results.models import ResultDocument
from app.signing import get_signing
from app.signing.validation import validate
from app.storage import get_blobs

MAX_RESULT_BYTES = 20 * 1024 * 1024
MAX_RESULTS = 10


class ResultFile(BaseModel):
    """As a back office sends it, inside a status event."""

    model_config = ConfigDict(extra="forbid")
    file_name: str = Field(min_length=1, max_length=200, pattern=r"^[^/\\\x00-\x1f]+\.pdf$")
    content: str = Field(min_length=1)  # base64


class ResultRefused(Exception):
    """The result document cannot be accepted; the message says why."""


@dataclass(frozen=True)
class CheckedResult:
    file_name: str
    data: bytes
    signer_name: str | None
    signing_time: object


def check(files: list[ResultFile], *, backoffice: str) -> list[CheckedResult]:
    """Every file decoded and its signature validated, before anything is stored."""
    signing = get_signing()
    trust = signing.agency(backoffice)
    if not files:
        return []
    if trust is None:
        raise ResultRefused(f"no agency trust is configured for back office {backoffice!r} (AGENCY_TRUST)")
    checked = []
    for given in files:
        try:
            data = base64.b64decode(given.content, validate=True)
        except (binascii.Error, ValueError):
            raise ResultRefused(f"{given.file_name}: content is not base64") from None
        if len(data) > MAX_RESULT_BYTES:
            raise ResultRefused(f"{given.file_name}: larger than {MAX_RESULT_BYTES // 1024 // 1024} MB")
        if not data.startswith(b"%PDF-"):
            raise ResultRefused(f"{given.file_name}: not a PDF")
        verdicts = [
            v if not v.ok or trust.allows(v) else v.refused("not_allowed_signer")
            for v in validate(data, signing.agency_context(trust), not_signers=signing.not_signers)
        ]
        good = next((v for v in verdicts if v.ok), None)
        if good is None:
            problem = verdicts[0].problem if verdicts else "not_signed"
            raise ResultRefused(f"{given.file_name}: no valid agency signature ({problem})")
        checked.append(CheckedResult(given.file_name, data, good.signer_name, good.signing_time))
    return checked


def attach(dossier: Dossier, results: list[CheckedResult]) -> list[ResultDocument]:
    """Store and code the results, inside the caller's transaction."""
    last = db.session.execute(
        select(func.coalesce(func.max(ResultDocument.number), 0)).where(
            ResultDocument.dossier_id == dossier.id
        )
    ).scalar_one()  # an aggregate: always one row
    added = []
    for number, result in enumerate(results, last + 1):
        document = ResultDocument(
            dossier_id=dossier.id,
            number=number,
            code=f"{dossier.code}-KQ{number}",
            file_name=result.file_name,
            sha256=get_blobs().put(result.data),
            size=len(result.data),
            signer_name=result.signer_name,
            signing_time=result.signing_time,
        )
        db.session.add(document)
        added.append(document)
    return added


def results_of(dossier: Dossier) -> list[ResultDocument]:
    return list(
        db.session.scalars(
            select(ResultDocument)
            .where(ResultDocument.dossier_id == dossier.id)
            .order_by(ResultDocument.number)
        )
    )
