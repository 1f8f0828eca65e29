"""What every JSON endpoint shares: errors as problem documents (RFC 9457) with the right status,
and the one way a request body is read, bounded and with strict types.

A body is parsed by pydantic's JSON parser straight into the endpoint's model, in strict mode:
the parser stops at a nesting depth of 200 (so no amount of brackets can exhaust the stack, as
`json.loads` does), and no value is coerced (`"99"`, `99.0` and `true` are not integers).
"""

from __future__ import annotations

from typing import TypeVar

from flask import Response, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, SecurityError

from app.api.schemas import Problem

Model = TypeVar("Model", bound=BaseModel)


class BodyRefused(Exception):
    """The request body is not JSON, or not the JSON this endpoint takes; the message says where."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def read_json(model: type[Model], body: bytes) -> Model:
    """The body as `model`, or BodyRefused: never an exception of the parser's or the validator's."""
    try:
        return model.model_validate_json(body, strict=True)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise BodyRefused(f"{where}: {first['msg']}" if where else first["msg"]) from None


def problem(
    status: int, title: str, detail: str | None = None, headers: dict[str, str] | None = None
) -> tuple[Response, int]:
    response = Response(
        Problem(title=title, status=status, detail=detail).model_dump_json(exclude_none=True),
        mimetype="application/json",
    )
    response.headers.update(headers or {})
    return response, status


def wanted() -> bool:
    """True when the failed request was addressed to the API: it is answered in JSON, not a page."""
    return request.path == "/api" or request.path.startswith("/api/")


def from_http_exception(exc: HTTPException) -> tuple[Response, int]:
    """A werkzeug error as a problem document, keeping the headers it carries (405's `Allow`)."""
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    # A refused Host names the host it was given: never echo what the request made up.
    detail = "This host is not served here." if isinstance(exc, SecurityError) else exc.description
    return problem(status, exc.name, detail, headers)


def for_api(exc: HTTPException) -> tuple[Response, int] | None:
    """The answer to an error of a request addressed to the API; None for the site's pages.
    The site's error handlers ask it first (create_app hands it to app/web)."""
    return from_http_exception(exc) if wanted() else None
