"""My documents (/account/documents): the signed-in applicant's store, to look at, download and
remove from. Everything here is the account's own: another account's document is a 404."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.accounts.models import Account
from app.accounts.sessions import current_account
from app.catalog import get_catalog
from app.catalog.document_types import DOCUMENT_TYPES
from app.i18n import current_locale
from app.storage import send_blob
from app.store import services
from app.store.models import StoredDocument
from app.supplements.services import SUPPLEMENT_SENT

bp = Blueprint("store", __name__, url_prefix="/account/documents", template_folder="templates")


def _account() -> Account:
    account = current_account()
    if account is None:
        abort(404)  # no account, no store: nothing to tell
    return account


def _document(document_id: int) -> StoredDocument:
    found = services.document_of(current_account(), document_id)
    if found is None:
        abort(404)
    return found


def _procedure_name(code: str) -> str:
    loaded = get_catalog().get(code)
    return loaded.definition.name.get(current_locale()) if loaded else code


@bp.get("", strict_slashes=False)
def index() -> str:
    account = _account()
    return render_template("store/index.html", documents=services.documents_of(account), types=DOCUMENT_TYPES)


@bp.get("/<int:document_id>")
def download(document_id: int) -> Response:
    document = _document(document_id)
    return send_blob(
        document.sha256, mimetype=document.media_type, as_attachment=True, download_name=document.filename
    )  # a 404 when the blob is gone


@bp.post("/<int:document_id>/remove")
def remove(document_id: int) -> Response | tuple[str, int]:
    # The CSRF token is checked for every POST by CSRFProtect before this runs.
    document = _document(document_id)
    try:
        services.remove(document)
    except services.InUse as in_use:
        using = in_use.dossier
        message = (
            _(
                "%(name)s is used by dossier %(code)s, which is still in progress: "
                "it can be removed once that dossier is finished.",
                name=document.filename,
                code=using.code,
            )
            if using.code
            else _(
                "%(name)s is used by your draft of “%(procedure)s”, not submitted yet: remove it "
                "from the draft first.",
                name=document.filename,
                procedure=_procedure_name(using.procedure_code),
            )
        )
        account = _account()
        return render_template(
            "store/index.html", documents=services.documents_of(account), types=DOCUMENT_TYPES, error=message
        ), 409
    flash(_("%(name)s has been removed from your documents.", name=document.filename))
    return redirect(url_for("store.index"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.extensions.setdefault(SUPPLEMENT_SENT, []).append(services.keep_supplement)
