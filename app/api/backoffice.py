"""Status events posted by back offices (see app/backoffice/events.py for the protocol)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from app.backoffice import events
from app.extensions import csrf

bp = Blueprint("backoffice_api", __name__, url_prefix="/api/v1/backoffice")
csrf.exempt(bp)  # authenticated by an HMAC over the body, no cookies
# An event with result documents: up to ten PDFs of 20 MB in all, base64 (4/3), and the rest.
MAX_BODY = 28 * 1024 * 1024


@bp.post("/events")
def post_event() -> tuple[Response, int]:
    if (request.content_length or 0) > MAX_BODY:
        return jsonify(title="event too large", status=413), 413
    if not events.plausible(request.headers):  # refused before reading a body it could not be
        return jsonify(title="bad signature, unknown back office or stale timestamp", status=401), 401
    body = request.stream.read(MAX_BODY + 1)  # never more than that, whatever the client claims
    if len(body) > MAX_BODY:
        return jsonify(title="event too large", status=413), 413
    backoffice = events.authenticate(request.headers, body)
    if backoffice is None:
        return jsonify(title="bad signature, unknown back office or stale timestamp", status=401), 401
    try:
        raw = json.loads(body)
    except ValueError:
        return jsonify(title="body is not JSON", status=400), 400
    answer = events.apply(backoffice, raw)
    return jsonify(title=answer.title, status=answer.status), answer.status
