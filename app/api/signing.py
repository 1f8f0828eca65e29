"""The signing agent's side of deferred signing (see app/signing/external.py and the README)."""

from __future__ import annotations

import base64
import binascii
import json

from flask import Blueprint, Response, g, jsonify, request

from app.extensions import csrf
from app.signing import external

bp = Blueprint("signing_api", __name__, url_prefix="/api/v1/signing")
csrf.exempt(bp)  # no cookies: the one-time session id in the path is the credential
MAX_BODY = 256 * 1024  # a certificate chain or a signature: a few kilobytes


@bp.before_request
def _small_bodies() -> tuple[Response, int] | None:
    if (request.content_length or 0) > MAX_BODY:
        return _problem("request too large", 413)
    g.body = request.stream.read(MAX_BODY + 1)  # bounded, even for a chunked request
    if len(g.body) > MAX_BODY:
        return _problem("request too large", 413)
    return None


def _json() -> dict:
    try:
        found = json.loads(g.body)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _problem(title: str, status: int) -> tuple[Response, int]:
    return jsonify(title=title, status=status), status


def _b64(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return base64.b64decode(value, validate=True)


@bp.post("/<token>/prepare")
def prepare(token: str) -> tuple[Response, int]:
    body = _json()
    try:
        certificate = _b64(body.get("certificate"))
        chain = [_b64(c) for c in body.get("chain", [])]
    except (ValueError, binascii.Error):
        return _problem("certificate and chain must be base64 DER", 400)
    try:
        return jsonify(external.prepare(token, certificate=certificate, chain=chain)), 200
    except external.SessionProblem as problem:
        return _problem(str(problem), problem.status)


@bp.post("/<token>/complete")
def complete(token: str) -> tuple[Response, int]:
    body = _json()
    try:
        signature = _b64(body.get("signature"))
    except (ValueError, binascii.Error):
        return _problem("signature must be base64", 400)
    try:
        verdict = external.complete(token, signature=signature)
    except external.SessionProblem as problem:
        return _problem(str(problem), problem.status)
    if not verdict.ok:
        return jsonify(accepted=False, reason=verdict.problem, detail=verdict.reason), 422
    return jsonify(accepted=True, signer=verdict.signer_name, level=verdict.level), 200
