"""The OpenAPI 3.1 document of every JSON API: the catalog, deferred signing and status events.

Request and response schemas come from the pydantic models the endpoints parse and answer
with, so the document cannot drift from what the code accepts.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.api.schemas import (
    CompleteRequest,
    EventAnswer,
    PrepareAnswer,
    PrepareRequest,
    Problem,
    ProcedureDetail,
    ProcedureList,
    SignatureAccepted,
    SignatureRefused,
)
from app.events.services import WINDOW_SECONDS, EventBody

MODELS: tuple[type[BaseModel], ...] = (
    ProcedureList,
    ProcedureDetail,
    Problem,
    PrepareRequest,
    PrepareAnswer,
    CompleteRequest,
    SignatureAccepted,
    SignatureRefused,
    EventBody,
    EventAnswer,
)


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _answer(description: str, name: str) -> dict[str, Any]:
    return {"description": description, **_json(_ref(name))}


def _problem(description: str) -> dict[str, Any]:
    return _answer(description, "Problem")


def _body(name: str) -> dict[str, Any]:
    return {"required": True, **_json(_ref(name))}


_QUERY = [
    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}, "description": text}
    for name, text in (
        ("q", "Words to find in the name, code, field or agency; case and diacritics are ignored."),
        ("field", "A field (lĩnh vực) code."),
        ("agency", "An agency code (Circular 10/2016/TT-BTTTT form)."),
        ("level", "full (toàn trình) or partial (một phần)."),
    )
]
_SESSION = {
    "name": "token",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The one-time signing session id from the session address given to the applicant.",
}
_SESSION_ERRORS = {
    "400": _problem("The body is not JSON of this shape, or a value is not base64"),
    "404": _problem("No signing session has this id"),
    "409": _problem("The session is in another state (already used), or the dossier changed"),
    "410": _problem("The session has expired"),
    "413": _problem("The body is larger than 256 KB"),
}
_EVENT_HEADERS = [
    {
        "name": "X-OpenDVC-BackOffice",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The back-office adapter's name, as configured in OPENDVC_BACKOFFICE_SECRETS.",
    },
    {
        "name": "X-OpenDVC-Timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "description": f"Unix seconds; refused when more than {WINDOW_SECONDS} s from the portal's clock.",
    },
    {
        "name": "X-OpenDVC-Signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "description": "Hex HMAC-SHA256, with the back office's secret, of `<timestamp>.<body>`.",
    },
]


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OpenDVC API",
            "version": "1.0.0",
            "description": (
                "Read the procedure catalog; sign a declaration with a signing agent (deferred "
                "signing); report a dossier's status from the back office; fetch a dossier's file by "
                "signed link. Errors are problem "
                "documents (RFC 9457) with the status of the answer; a 405 names the allowed "
                "methods in `Allow`."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/procedures": {
                "get": {
                    "operationId": "listProcedures",
                    "summary": "Procedures in the catalog, filtered",
                    "parameters": _QUERY,
                    "responses": {"200": _answer("The matching procedures", "ProcedureList")},
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
                        "200": _answer("The definition and its version", "ProcedureDetail"),
                        "404": _problem("No procedure has this code"),
                    },
                }
            },
            "/signing/{token}/prepare": {
                "post": {
                    "operationId": "prepareSignature",
                    "summary": "Send the signer's certificate; get the signed attributes to sign",
                    "description": (
                        "The portal prepares the declaration for this certificate (signature "
                        "placeholder, visible stamp) and answers with the DER of the CMS signed "
                        "attributes, which the agent signs with the applicant's key."
                    ),
                    "parameters": [_SESSION],
                    "requestBody": _body("PrepareRequest"),
                    "responses": {
                        "200": _answer("What to sign, and how", "PrepareAnswer"),
                        **_SESSION_ERRORS,
                    },
                }
            },
            "/signing/{token}/complete": {
                "post": {
                    "operationId": "completeSignature",
                    "summary": "Send the raw signature over `to_sign`; the signed declaration is validated",
                    "parameters": [_SESSION],
                    "requestBody": _body("CompleteRequest"),
                    "responses": {
                        "200": _answer("Accepted: the dossier moves on", "SignatureAccepted"),
                        **_SESSION_ERRORS,
                        "422": {
                            "description": (
                                "The signed declaration is refused (`reason` says why; `detail` in "
                                "the language of Accept-Language), or the signature could not be "
                                "embedded (a problem document)"
                            ),
                            **_json({"anyOf": [_ref("SignatureRefused"), _ref("Problem")]}),
                        },
                    },
                }
            },
            "/backoffice/events": {
                "post": {
                    "operationId": "postStatusEvent",
                    "summary": "Report a dossier's new status, with its result documents at status 10",
                    "description": (
                        "Authenticated by an HMAC over the timestamp and the exact body bytes. "
                        "`sequence` counts a dossier's events from 1; a replay changes nothing. "
                        "Types are strict: a number in a string, a float or a boolean is refused. "
                        "`promised_on` (YYYY-MM-DD) sets the promised date (NgayHenTra) on "
                        "acceptance (2), after a supplement (5 → 4), or on an extension: the "
                        "current status again with `promised_on` and `apology`. A refusal at "
                        "reception (3) gives its reason in `note`. See docs/status-transitions.md."
                    ),
                    "parameters": _EVENT_HEADERS,
                    "requestBody": _body("EventBody"),
                    "responses": {
                        "200": _answer("Applied, or already applied (a replay)", "EventAnswer"),
                        "400": _problem("The body is not JSON or not an event"),
                        "401": _problem("Bad signature, unknown back office or stale timestamp"),
                        "404": _problem("No dossier delivered to this back office has this code"),
                        "409": _problem(
                            "Out of order (an earlier event is missing), not allowed by the dossier's "
                            "state, or a concurrent event was applied first: send it again"
                        ),
                        "413": _problem("The body is larger than 28 MB"),
                        "422": _problem("A result document has no valid, trusted agency signature"),
                        "503": _problem(
                            "The acceptance's receipt could not be sealed: nothing was applied, "
                            "send the event again later"
                        ),
                    },
                }
            },
            "/files/{token}": {
                "get": {
                    "operationId": "getDossierFile",
                    "summary": "A dossier's file by the signed, expiring link a back office was given",
                    "description": (
                        "The link is the `DuongDanTaiTepTin` of a national record (the `dvcqg` "
                        "adapter, docs/dvcqg-mapping.md): it names one file of one dossier and "
                        "expires after OPENDVC_FILE_LINK_HOURS. An expired, forged or unknown link "
                        "is a 404 that says no more."
                    ),
                    "parameters": [
                        {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "The file, as filed",
                            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                        },
                        "404": _problem("No such file, or the link has expired"),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApiDocument",
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1", **_json({"type": "object"})}},
                }
            },
        },
        "components": {"schemas": _schemas()},
    }
