"""JSON API for integrators (read side): procedures, and the OpenAPI document that describes them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from pydantic import BaseModel

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


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in (ProcedureList, ProcedureDetail, Problem):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _ok(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def openapi_document() -> dict[str, Any]:
    query = [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": text}
        for name, text in (
            ("q", "Words to find in the name, code, field or agency; case and diacritics are ignored."),
            ("field", "A field (lĩnh vực) code."),
            ("agency", "An agency code (Circular 10/2016/TT-BTTTT form)."),
            ("level", "full (toàn trình) or partial (một phần)."),
        )
    ]
    return {
        "openapi": "3.1.0",
        "info": {"title": "OpenDVC API", "version": "1.0.0", "description": "Read the procedure catalog."},
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/procedures": {
                "get": {
                    "operationId": "listProcedures",
                    "summary": "Procedures in the catalog, filtered",
                    "parameters": query,
                    "responses": {"200": {"description": "The matching procedures", **_ok("ProcedureList")}},
                }
            },
            "/procedures/{code}": {
                "get": {
                    "operationId": "getProcedure",
                    "summary": "One procedure's full definition, form included",
                    "parameters": [
                        {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {"description": "The definition and its version", **_ok("ProcedureDetail")},
                        "404": {"description": "No procedure has this code", **_ok("Problem")},
                    },
                }
            },
        },
        "components": {"schemas": _schemas()},
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())
