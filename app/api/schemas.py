"""Shapes of the JSON API, in pydantic: they serialise the answers and describe them in OpenAPI."""

from __future__ import annotations

from pydantic import BaseModel

from app.catalog.schema import Level, Procedure, ProcedureField, Text


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
