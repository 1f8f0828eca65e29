"""The signing agent's side of deferred signing (see app/signing/external.py and the README)."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, g, request

from app.api.problems import BodyRefused, problem, read_json
from app.api.schemas import (
    CompleteRequest,
    PrepareAnswer,
    PrepareRequest,
    SignatureAccepted,
    SignatureRefused,
)
from app.extensions import csrf
from app.signing import external

bp = Blueprint("signing_api", __name__, url_prefix="/api/v1/signing")
csrf.exempt(bp)  # no cookies: the one-time session id in the path is the credential
MAX_BODY = 256 * 1024  # a certificate chain or a signature: a few kilobytes


@bp.before_request
def _small_bodies() -> tuple[Response, int] | None:
    request.max_content_length = MAX_BODY + 1  # this limit, not the dossier's upload budget
    if (request.content_length or 0) > MAX_BODY:
        return problem(413, "request too large")
    g.body = request.stream.read(MAX_BODY + 1)  # bounded, even for a chunked request
    if len(g.body) > MAX_BODY:
        return problem(413, "request too large")
    return None


def _answer(model: PrepareAnswer | SignatureAccepted | SignatureRefused, status: int) -> tuple[Response, int]:
    return Response(model.model_dump_json(), mimetype="application/json"), status


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


@bp.post("/<token>/prepare")
def prepare(token: str) -> tuple[Response, int]:
    try:
        body = read_json(PrepareRequest, g.body)
        certificate = _b64(body.certificate)
        chain = [_b64(c) for c in body.chain]
    except BodyRefused as refused:
        return problem(400, "certificate and chain must be base64 DER", refused.detail)
    except (ValueError, binascii.Error):
        return problem(400, "certificate and chain must be base64 DER")
    try:
        return _answer(PrepareAnswer(**external.prepare(token, certificate=certificate, chain=chain)), 200)
    except external.SessionProblem as session_problem:
        return problem(session_problem.status, str(session_problem))


@bp.post("/<token>/complete")
def complete(token: str) -> tuple[Response, int]:
    try:
        signature = _b64(read_json(CompleteRequest, g.body).signature)
    except BodyRefused as refused:
        return problem(400, "signature must be base64", refused.detail)
    except (ValueError, binascii.Error):
        return problem(400, "signature must be base64")
    try:
        verdict = external.complete(token, signature=signature)
    except external.SessionProblem as session_problem:
        return problem(session_problem.status, str(session_problem))
    if not verdict.ok:
        return _answer(SignatureRefused(accepted=False, reason=verdict.problem, detail=verdict.reason), 422)
    return _answer(SignatureAccepted(accepted=True, signer=verdict.signer_name, level=verdict.level), 200)
