"""Status events posted by back offices (see app/events/services.py for the protocol)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.api.problems import BodyRefused, problem, read_json
from app.events import services as events
from app.extensions import csrf

bp = Blueprint("backoffice_api", __name__, url_prefix="/api/v1/backoffice")
csrf.exempt(bp)  # authenticated by an HMAC over the body, no cookies
# An event with result documents: up to ten PDFs of 20 MB in all, base64 (4/3), and the rest.
MAX_BODY = 28 * 1024 * 1024
UNAUTHENTICATED = "bad signature, unknown back office or stale timestamp"


@bp.post("/events")
def post_event() -> tuple[Response, int]:
    request.max_content_length = MAX_BODY + 1  # this limit, not the dossier's upload budget
    if (request.content_length or 0) > MAX_BODY:
        return problem(413, "event too large")
    if not events.plausible(request.headers):  # refused before reading a body it could not be
        return problem(401, UNAUTHENTICATED)
    body = request.stream.read(MAX_BODY + 1)  # never more than that, whatever the client claims
    if len(body) > MAX_BODY:
        return problem(413, "event too large")
    backoffice = events.authenticate(request.headers, body)
    if backoffice is None:
        return problem(401, UNAUTHENTICATED)
    try:
        event = read_json(events.EventBody, body)
    except BodyRefused as refused:
        return problem(400, f"invalid event: {refused.detail}")
    answer = events.apply(backoffice, event)
    return problem(answer.status, answer.title)
