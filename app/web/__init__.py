"""What every page of the site shares: error pages, security and caching headers, the choice of
language, the health check. The pages themselves live with their features (app/journey,
app/catalog, app/signing, app/supplements, app/staff), each registering its own blueprint."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from app.database import health
from app.i18n import LOCALES

# No inline script or style anywhere (no nonce either: every script and style sheet is a file
# under /static); the QR code is the only data: URL. Forms post to this site only, no page of it
# may be framed (clickjacking), and no <base> may move its relative links elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Over TLS, a year of HTTPS only (RFC 6797). Sent when the request came over TLS (behind a proxy:
# OPENDVC_TRUSTED_PROXIES and its X-Forwarded-Proto), or when the public address is https://
# (a proxy that terminates TLS and says nothing); a browser ignores it over plain HTTP anyway.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"

# What a browser or a proxy may keep: the same for everyone, no secret in it. Every other answer
# (dossier pages with their resume link and access code, downloads, staff pages, the APIs,
# errors) is Cache-Control: no-store, so that none outlives the session in a shared computer's
# cache or a proxy's.
CACHEABLE_ENDPOINTS = frozenset(
    {"static", "catalog.index", "catalog.procedure", "api.procedures", "api.procedure", "api.openapi"}
)


ApiErrors = Callable[[HTTPException], Any]  # the API's answer to an error, or None for a page


def _page_or_problem(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An error page for the site; for a request to the API, its problem document instead."""

    @wraps(handler)
    def handle(exc: HTTPException) -> Any:
        answer = current_app.extensions["opendvc.api_errors"](exc)
        return answer if answer is not None else handler(exc)

    return handle


def _allow_header(exc: HTTPException) -> dict[str, str]:
    """`Allow` of a 405, for the answers that are pages."""
    return {k: v for k, v in exc.get_headers() if k.lower() == "allow"}


def init_app(app: Flask, *, api_errors: ApiErrors) -> None:
    """Site-wide handlers; `api_errors` answers the errors of requests addressed to the API."""
    app.extensions["opendvc.api_errors"] = api_errors

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        state = health()
        return jsonify(database=state), 200 if state["ok"] else 503

    @app.get("/language/<code>")
    def language(code: str) -> Response:
        if code in LOCALES:
            session["locale"] = code
        target = request.args.get("next", "")
        # Only a path on this site: never an open redirect.
        if not target.startswith("/") or target.startswith("//") or any(c in target for c in "\\\t\r\n "):
            target = url_for("catalog.index")
        return redirect(target)

    @app.errorhandler(CSRFError)
    @_page_or_problem
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        message = _(
            "This page has expired or was sent from elsewhere. Go back, reload the page and try again."
        )
        return render_template("error.html", title=_("The form could not be sent"), message=message), 400

    @app.errorhandler(RequestEntityTooLarge)
    @_page_or_problem
    def too_large(exc: RequestEntityTooLarge) -> tuple[str, int]:
        limit = app.config["OPENDVC"].DOSSIER_MAX_TOTAL_MB
        message = _("The files sent were larger than %(num)d MB, the most a dossier can hold.", num=limit)
        return render_template("error.html", title=_("The file is too large"), message=message), 413

    @app.errorhandler(429)
    @_page_or_problem
    def too_many(exc: HTTPException) -> tuple[str, int]:
        message = _("Too many attempts from this connection. Wait a minute, then try again.")
        return render_template("error.html", title=_("Too many attempts"), message=message), 429

    @app.errorhandler(400)
    @_page_or_problem
    def bad_request(exc: HTTPException) -> tuple[str, int]:
        message = _("The page could not understand what was sent. Go back and try again.")
        return render_template("error.html", title=_("Something went wrong"), message=message), 400

    @app.errorhandler(405)
    @_page_or_problem
    def wrong_method(exc: HTTPException) -> tuple[str, int, dict[str, str]]:
        message = _("Use the buttons and links on the pages rather than typing addresses.")
        page = render_template("error.html", title=_("Something went wrong"), message=message)
        return page, 405, _allow_header(exc)

    @app.errorhandler(404)
    @_page_or_problem
    def not_found(exc: HTTPException) -> tuple[str, int]:
        message = _("Check the address, or start again from the list of procedures.")
        return render_template("error.html", title=_("Page not found"), message=message), 404

    @app.errorhandler(503)
    @_page_or_problem
    def unavailable(exc: HTTPException) -> tuple[str, int]:
        # app.storage.StorageUnavailable among others: the blob store did not answer.
        message = _("The portal cannot store or read files just now. Try again in a few minutes.")
        return render_template("error.html", title=_("Temporarily unavailable"), message=message), 503

    @app.errorhandler(HTTPException)
    @_page_or_problem
    def other_error(exc: HTTPException) -> HTTPException:
        return exc  # werkzeug's own page

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors, for older browsers
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure or app.config["OPENDVC"].PUBLIC_URL.startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        return response

    @app.after_request
    def no_store(response: Response) -> Response:
        # The session cookie is set after this runs: a modified session means one is coming.
        sets_cookie = session.modified or "Set-Cookie" in response.headers
        public = request.endpoint in CACHEABLE_ENDPOINTS and response.status_code in (200, 304)
        if not public or sets_cookie:
            response.headers["Cache-Control"] = "no-store"
        return response
