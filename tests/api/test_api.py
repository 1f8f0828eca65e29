"""The integrators' JSON API and the OpenAPI document that describes it."""

from __future__ import annotations

import json

import jsonschema
from openapi_spec_validator import validate

from app.api.openapi import document as openapi_document
from app.catalog.loader import load_folder
from app.config import PACKAGE_DIR

SHIPPED = load_folder(PACKAGE_DIR / "catalog" / "procedures")


def schema_for(document: dict, path: str, status: str) -> dict:
    ref = document["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]
    return {"$ref": ref["$ref"], "components": document["components"]}


def check(document: dict, path: str, status: str, body: object) -> None:
    jsonschema.validate(body, schema_for(document, path, status), cls=jsonschema.Draft202012Validator)


def test_openapi_document_is_valid(client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    assert set(document["paths"]) == {
        "/procedures",
        "/procedures/{code}",
        "/signing/{token}/prepare",
        "/signing/{token}/complete",
        "/backoffice/events",
        "/files/{token}",
        "/openapi.json",
    }


def test_the_served_document_is_the_one_schemathesis_runs(client):
    assert client.get("/api/v1/openapi.json").json == json.loads(json.dumps(openapi_document()))


def test_list_matches_its_description(client):
    document = client.get("/api/v1/openapi.json").json
    body = client.get("/api/v1/procedures").json
    check(document, "/procedures", "200", body)
    assert body["count"] == len(SHIPPED)
    assert sorted(p["code"] for p in body["procedures"]) == sorted(SHIPPED)
    assert {p["version"] for p in body["procedures"]} == {p.version for p in SHIPPED.values()}


def test_list_is_filtered_like_the_catalog_page(client):
    body = client.get("/api/v1/procedures", query_string={"q": "nguon gen", "level": "full"}).json
    expected = sorted(
        code
        for code, p in SHIPPED.items()
        if "nguồn gen" in p.definition.name.vi.lower() and p.definition.level == "full"
    )
    assert sorted(p["code"] for p in body["procedures"]) == expected


def test_detail_gives_the_whole_definition(client):
    document = client.get("/api/v1/openapi.json").json
    response = client.get("/api/v1/procedures/1.004261")
    assert response.status_code == 200
    check(document, "/procedures/{code}", "200", response.json)
    definition = response.json["definition"]
    assert definition == SHIPPED["1.004261"].definition.model_dump(mode="json")
    assert response.json["version"] == SHIPPED["1.004261"].version


def test_unknown_code_is_a_problem_document(client):
    document = client.get("/api/v1/openapi.json").json
    response = client.get("/api/v1/procedures/0.000000")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    check(document, "/procedures/{code}", "404", response.json)
    assert response.json["status"] == 404
