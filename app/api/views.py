"""JSON API for integrators (read side): procedures, and the OpenAPI document of every API."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for
from pydantic import BaseModel

from app.api.openapi import document as openapi_document
from app.api.schemas import AgencySummary, Problem, ProcedureDetail, ProcedureList, ProcedureSummary
from app.catalog import LoadedProcedure, get_catalog
from app.catalog.search import Filters

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _json(model: BaseModel, status: int = 200) -> tuple[Response, int]:
    response = Response(model.model_dump_json(), mimetype="application/json")
    return response, status


def _summary(p: LoadedProcedure) -> ProcedureSummary:
    d = p.definition
    return ProcedureSummary(
        code=d.code,
        version=p.version,
        name=d.name,
        agency=AgencySummary(code=d.agency.code, name=d.agency.name),
        field=d.field,
        level=d.level,
        processing_days=d.processing_days,
        processing_unit=d.processing_unit,
        url=url_for("api.procedure", code=d.code, _external=True),
    )


@bp.get("/procedures")
def procedures() -> tuple[Response, int]:
    filters = Filters(
        query=request.args.get("q", "")[:200],
        field=request.args.get("field", ""),
        agency=request.args.get("agency", ""),
        level=request.args.get("level", ""),
    )
    found = [_summary(p) for p in get_catalog().search(filters)]
    return _json(ProcedureList(count=len(found), procedures=found))


@bp.get("/procedures/<code>")
def procedure(code: str) -> tuple[Response, int]:
    loaded = get_catalog().get(code)
    if loaded is None:
        return _json(Problem(title="Not Found", status=404, detail=f"no procedure has the code {code}"), 404)
    url = url_for("api.procedure", code=code, _external=True)
    return _json(ProcedureDetail(version=loaded.version, url=url, definition=loaded.definition))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())
