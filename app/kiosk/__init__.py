"""Kiosk mode (máy kiosk tại bộ phận một cửa): a touch screen at a reception desk, used by one
stranger after another. `OPENDVC_KIOSK=true` makes a whole deployment a kiosk; `/kiosk` turns
one browser into one for trying it. Every page then carries the kiosk's bar (language, start
again, the idle countdown) and its touch layout, from static files only (no inline script).

Dossier pages are never stored by the browser (`Cache-Control: no-store`), kiosk or not: after
a wipe, going back shows nothing of the person before."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

from app.kiosk import views

# The pages that show a dossier, or the ways into one.
PRIVATE_BLUEPRINTS = frozenset({"apply", "sign", "supplement", "kiosk", "track", "mine"})
PRIVATE_PREFIXES = ("/dossiers/", "/resume/", "/track", "/kiosk")


def _no_store(response: Response) -> Response:
    if request.blueprint in PRIVATE_BLUEPRINTS or request.path.startswith(PRIVATE_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _kiosk_context() -> dict[str, Any]:
    settings = current_app.config["OPENDVC"]
    return {
        "kiosk_on": views.kiosk_on,
        "kiosk_holds_someone": views.holds_someone,
        "kiosk_idle_seconds": settings.KIOSK_IDLE_SECONDS,
        "kiosk_warning_seconds": settings.KIOSK_WARNING_SECONDS,
        "kiosk_start_again_form": views.StartAgainForm,
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.after_request(_no_store)
    app.context_processor(_kiosk_context)
