"""Shapes of the JSON API, in pydantic: they serialise the answers and describe them in OpenAPI."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.catalog.schema import Level, Procedure, ProcedureField, Text
from app.signing.validation import REASONS


class AgencySummary(BaseModel):
    code: str
    name: Text


class ProcedureSummary(BaseModel):
    code: str
    version: str
    name: Text
    agency: AgencySummary
    field: ProcedureField
    level: Level
    processing_days: int
    processing_unit: Literal["working_days", "calendar_days"]
    url: str


class ProcedureList(BaseModel):
    count: int
    procedures: list[ProcedureSummary]


class ProcedureDetail(BaseModel):
    version: str
    url: str
    definition: Procedure


class Problem(BaseModel):
    """An error, in the shape of RFC 9457 problem details."""

    title: str
    status: int
    detail: str | None = None


class EventAnswer(BaseModel):
    """The answer to a status event, applied or not: `title` says what happened."""

    title: str
    status: int


class PrepareRequest(BaseModel):
    """The signing agent's certificate (base64 DER) and the chain up to its CA."""

    model_config = ConfigDict(extra="forbid")
    certificate: str = Field(min_length=1, max_length=16384, description="base64 of the DER certificate")
    chain: list[Annotated[str, Field(max_length=16384)]] = Field(
        default=[], max_length=10, description="base64 DER certificates of the issuing CAs"
    )


class PrepareAnswer(BaseModel):
    to_sign: str = Field(description="base64 of the CMS signed attributes the agent signs")
    digest_algorithm: str
    signature_algorithm: str
    expires_at: str = Field(description="when the session expires (ISO 8601)")


class CompleteRequest(BaseModel):
    """The raw signature over `to_sign`, base64."""

    model_config = ConfigDict(extra="forbid")
    signature: str = Field(min_length=1, max_length=16384)


class SignatureAccepted(BaseModel):
    accepted: Literal[True]
    signer: str | None
    level: str = Field(description="the PAdES level reached: B-B, B-T, B-LT or B-LTA")


class SignatureRefused(BaseModel):
    """The signed declaration was made but is refused; `reason` is a code, `detail` says it in words."""

    accepted: Literal[False]
    reason: str | None = Field(
        description="why, as a code: " + ", ".join(sorted(REASONS)),
        json_schema_extra={"enum": [*sorted(REASONS), None]},
    )
    detail: str
