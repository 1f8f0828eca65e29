"""Finding a procedure and reading what it needs."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.catalog import get_catalog
from app.catalog.search import Filters
from app.dossiers import services
from app.i18n import current_locale
from app.web.access import grant

bp = Blueprint("catalog", __name__)


@bp.get("/")
def index() -> str:
    catalog = get_catalog()
    filters = Filters(
        query=request.args.get("q", "").strip()[:200],
        field=request.args.get("field", ""),
        agency=request.args.get("agency", ""),
        level=request.args.get("level", ""),
    )
    return render_template(
        "catalog/index.html",
        procedures=catalog.search(filters),
        filters=filters,
        facets=catalog.facets(),
        total=len(catalog),
    )


@bp.get("/procedures/<code>")
def procedure(code: str) -> str:
    loaded = get_catalog().get(code) or abort(404)
    return render_template("catalog/procedure.html", p=loaded.definition)


@bp.post("/procedures/<code>/start")
def start(code: str) -> Response:
    # The CSRF token is checked for every POST by CSRFProtect before this runs.
    loaded = get_catalog().get(code) or abort(404)
    started = services.start(loaded, locale=current_locale())
    grant(started.dossier, started.secret)
    first = loaded.definition.form.steps[0].id
    return redirect(url_for("apply.step", public_id=started.dossier.public_id, step_id=first, new=1))
