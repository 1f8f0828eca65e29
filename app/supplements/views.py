"""Answering a request for supplements: upload the documents asked for, sign, send. Signing
goes through the same views as the dossier's declaration (app/signing/views.py)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.wrappers import Response
from wtforms import SelectField

from app.attachments.services import UploadRefused
from app.dossiers import records as dossiers
from app.dossiers.access import dossier_or_404
from app.dossiers.models import Dossier
from app.extensions import Form, upload_rate
from app.i18n import current_locale
from app.signing import views as sign
from app.signing.declarations import DeclarationToSign
from app.signing.validation import Verdict
from app.signing.views import SigningPage
from app.supplements import services as supplements
from app.supplements.models import Supplement
from app.supplements.services import SupplementDeclaration
from app.uploads import MB, upload_limit, writer_of

bp = Blueprint(
    "supplement", __name__, url_prefix="/dossiers/<public_id>/supplement", template_folder="templates"
)
EXPIRED = _l("This page has expired or was sent from elsewhere. Reload the page and try again.")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


class SupplementUploadForm(Form):
    component = SelectField(_l("Which document is this?"))
    file = FileField(_l("File"))


class RemoveForm(Form):
    pass


def _open(public_id: str) -> tuple[Dossier, Supplement]:
    dossier = dossier_or_404(public_id)
    supplement = supplements.open_for(dossier)
    if supplement is None:
        abort(404)
    return dossier, supplement


def _upload_form(dossier: Dossier) -> SupplementUploadForm:
    form = SupplementUploadForm()
    locale = current_locale()
    form.component.choices = [
        (c.code, c.name.get(locale)) for c in dossiers.procedure_of(dossier).definition.components
    ]
    return form


def _page(
    dossier: Dossier,
    supplement: Supplement,
    *,
    error: str | None = None,
    method: str | None = None,
    status: int = 200,
) -> sign.PageResult:
    loaded = dossiers.procedure_of(dossier)
    form = _upload_form(dossier)
    return render_template(
        "supplement/page.html",
        dossier=dossier,
        supplement=supplement,
        p=loaded.definition,
        names={c.code: c.name for c in loaded.definition.components},
        upload_form=form,
        methods=sign.methods(SUPPLEMENT, SupplementDeclaration(dossier, supplement)),
        error=error,
        method=method,
    ), status


@bp.get("")
def page(public_id: str) -> sign.PageResult:
    dossier, supplement = _open(public_id)
    return _page(dossier, supplement)


def _largest_file(public_id: str) -> int:
    """The component is chosen in the same form as the file: the largest any of them takes."""
    dossier, _supplement = _open(public_id)
    return max(c.max_size_mb for c in dossiers.procedure_of(dossier).definition.components) * MB


def _upload_expired(public_id: str) -> sign.PageResult:
    return _page(*_open(public_id), error=str(EXPIRED), status=400)


@bp.post("/files")
@upload_rate
@upload_limit(_largest_file, expired=_upload_expired)
def upload(public_id: str) -> ResponseReturnValue:
    dossier, supplement = _open(public_id)
    components = {c.code: c for c in dossiers.procedure_of(dossier).definition.components}
    form = _upload_form(dossier)
    if not form.validate_on_submit():  # a component not of this procedure
        return _page(dossier, supplement, error=str(EXPIRED), status=400)
    writer = writer_of(form.file.data)
    if writer is None:
        return _page(dossier, supplement, error=_("Select a file"), status=400)
    try:
        added = supplements.add_file(
            supplement, components[form.component.data], writer, form.file.data.filename
        )
    except UploadRefused as refusal:
        return _page(dossier, supplement, error=str(refusal.message), status=refusal.status)
    flash(_("%(name)s has been attached.", name=added.filename))
    return redirect(url_for("supplement.page", public_id=public_id))


@bp.post("/files/<int:file_id>/remove")
def remove(public_id: str, file_id: int) -> Response:
    _dossier, supplement = _open(public_id)
    if not RemoveForm().validate_on_submit():
        abort(400)
    removed = supplements.remove_file(supplement, file_id)
    if removed is None:
        abort(404)
    flash(_("%(name)s has been removed.", name=removed.filename))
    return redirect(url_for("supplement.page", public_id=public_id))


class SupplementPage(SigningPage):
    """A supplement's declaration is signed on the supplement's own page, beside its documents;
    signing it sends the supplement."""

    kind = "supplement"
    prefix = "/supplement"
    as_attachment = True
    sign_label = _l("Sign and send the supplement")
    read_label = _l("Download the supplement declaration (PDF)")
    upload_hint = _l(
        "Download the supplement declaration once your documents are attached, sign it with your "
        "token's software without changing it, and upload the signed PDF."
    )

    def open(self, public_id: str) -> SupplementDeclaration:
        return SupplementDeclaration(*_open(public_id))

    def render(
        self, target: DeclarationToSign, *, error: str | None = None, method: str | None = None, status: int
    ) -> sign.PageResult:
        assert isinstance(target, SupplementDeclaration)
        return _page(target.dossier, target.supplement, error=error, method=method, status=status)

    def file_name(self, target: DeclarationToSign) -> str:
        assert isinstance(target, SupplementDeclaration)
        return f"{target.dossier.code}-BS{target.supplement.number}.pdf"

    def signed_message(self, target: DeclarationToSign, verdict: Verdict) -> str:
        assert isinstance(target, SupplementDeclaration)
        return _(
            "Supplement %(number)d has been signed and sent to the agency.", number=target.supplement.number
        )

    def next_url(self, target: DeclarationToSign) -> str:
        return url_for("apply.dossier", public_id=target.dossier.public_id)


SUPPLEMENT = sign.register(SupplementPage())
# The addresses the supplement's forms posted to before they shared the dossier's views.
for _old, _provider in (("/sign", "pkcs12"), ("/sign/card", "pkcs11")):
    sign.bp.add_url_rule(
        f"/supplement{_old}",
        view_func=sign.with_provider,
        methods=["POST"],
        defaults={"kind": "supplement", "provider": _provider},
        alias=True,
    )
sign.bp.add_url_rule(
    "/supplement/upload",
    view_func=sign.with_upload,
    methods=["POST"],
    defaults={"kind": "supplement"},
    alias=True,
)
