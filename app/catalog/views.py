"""Finding a procedure and reading what it needs."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, render_template, request

from app.catalog import get_catalog
from app.catalog.fees import kind_label
from app.catalog.search import Filters
from app.catalog.wording import component_conditions

bp = Blueprint("catalog", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(fee_kind=kind_label, component_conditions=component_conditions)


def _page() -> int:
    """The `page` asked for; anything that is not a page number is the first page."""
    asked = request.args.get("page", "")
    return int(asked) if asked.isascii() and asked.isdigit() and 0 < len(asked) <= 6 and int(asked) > 0 else 1


@bp.get("/")
def index() -> str:
    catalog = get_catalog()
    filters = Filters(
        query=request.args.get("q", "").strip()[:200],
        field=request.args.get("field", "")[:40],
        agency=request.args.get("agency", "")[:40],
        level=request.args.get("level", "")[:20],
    )
    return render_template(
        "catalog/index.html",
        results=catalog.find(filters, page=_page()),
        filters=filters,
        facets=catalog.facets(),
        total=len(catalog),
    )


@bp.get("/procedures/<code>")
def procedure(code: str) -> str:
    loaded = get_catalog().get(code) or abort(404)
    return render_template("catalog/procedure.html", p=loaded.definition)
