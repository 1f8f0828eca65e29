"""Answering a request for supplements: upload the documents asked for, sign, send."""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField

from app.attachments.services import MB, UploadRefused
from app.attachments.uploads import InMemoryUpload, writer_of
from app.dossiers import services as dossiers
from app.dossiers.models import Dossier
from app.extensions import csrf
from app.forms.text import current_locale
from app.signing import get_signing
from app.signing.providers import Pkcs12Provider, SigningRefused
from app.signing.validation import Verdict
from app.supplements import services as supplements
from app.supplements.models import Supplement
from app.web.access import dossier_or_404
from app.web.sign import SIGNED_PDF_LIMIT, PinForm, Pkcs12Form, SignedUploadForm

bp = Blueprint("supplement", __name__, url_prefix="/dossiers/<public_id>/supplement")


class SupplementUploadForm(FlaskForm):
    component = SelectField(_l("Which document is this?"))
    file = FileField(_l("File"))


class RemoveForm(FlaskForm):
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


def _page(dossier: Dossier, supplement: Supplement, *, error: str | None = None, status: int = 200):
    loaded = dossiers.procedure_of(dossier)
    form = _upload_form(dossier)
    return render_template(
        "supplement/page.html",
        dossier=dossier,
        supplement=supplement,
        p=loaded.definition,
        names={c.code: c.name for c in loaded.definition.components},
        upload_form=form,
        pkcs12_form=Pkcs12Form(),
        upload_form_signed=SignedUploadForm(),
        pin_form=PinForm(),
        offered=get_signing().offered,
        error=error,
    ), status


@bp.get("")
def page(public_id: str):
    dossier, supplement = _open(public_id)
    return _page(dossier, supplement)


@bp.post("/files")
@csrf.exempt  # checked below, once the upload limit is known: the body is parsed only then
def upload(public_id: str):
    dossier, supplement = _open(public_id)
    components = {c.code: c for c in dossiers.procedure_of(dossier).definition.components}
    g.upload_limit = max(c.max_size_mb for c in components.values()) * MB
    form = _upload_form(dossier)
    if not form.validate_on_submit():
        error = _("This page has expired or was sent from elsewhere. Reload the page and try again.")
        return _page(dossier, supplement, error=error, status=400)
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


@bp.get("/declaration.pdf")
def declaration(public_id: str) -> Response:
    dossier, supplement = _open(public_id)
    pdf = supplements.declaration_of(dossier, supplement).pdf
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{dossier.code}-BS{supplement.number}.pdf",
    )


@bp.post("/upload")
@csrf.exempt  # checked below, once the upload limit is known: the body is parsed only then
def upload_signed(public_id: str):
    dossier, supplement = _open(public_id)
    if "upload" not in get_signing().offered:
        abort(404)
    g.upload_limit = SIGNED_PDF_LIMIT
    form = SignedUploadForm()
    if not form.validate_on_submit():
        error = _("This page has expired. Reload it and try again.")
        return _page(dossier, supplement, error=error, status=400)
    writer = writer_of(form.signed.data)
    if writer is None or writer.size == 0:
        return _page(dossier, supplement, error=_("Select the signed PDF"), status=400)
    if writer.over_limit:
        error = _("The file must be smaller than %(num)d MB", num=SIGNED_PDF_LIMIT // MB)
        return _page(dossier, supplement, error=error, status=413)
    writer.flush()
    signed = writer.path.read_bytes()
    writer.discard()
    try:
        verdict = supplements.accept_signed(dossier, supplement, signed)
    except UploadRefused as refusal:
        return _page(dossier, supplement, error=str(refusal.message), status=refusal.status)
    return _sent(dossier, supplement, verdict)


def _sent(dossier: Dossier, supplement: Supplement, verdict: Verdict):
    if not verdict.ok:
        return _page(dossier, supplement, error=verdict.reason, status=422)
    flash(_("Supplement %(number)d has been signed and sent to the agency.", number=supplement.number))
    return redirect(url_for("apply.dossier", public_id=dossier.public_id))


@bp.post("/sign/card")
def sign_with_card(public_id: str):
    dossier, supplement = _open(public_id)
    if "pkcs11" not in get_signing().offered:
        abort(404)
    form = PinForm()
    if not form.validate_on_submit() or not form.pin.data:
        return _page(dossier, supplement, error=_("Enter the PIN of the card"), status=400)
    try:
        with get_signing().provider("pkcs11").signer(pin=form.pin.data) as signer:  # type: ignore[attr-defined]
            verdict = supplements.sign_and_send(dossier, supplement, signer)
    except (SigningRefused, UploadRefused) as refusal:
        return _page(dossier, supplement, error=str(refusal.message), status=refusal.status)
    return _sent(dossier, supplement, verdict)


@bp.post("/sign")
@csrf.exempt  # checked below, after the key file is set to stay in memory
def sign(public_id: str):
    dossier, supplement = _open(public_id)
    if "pkcs12" not in get_signing().offered:
        abort(404)
    g.upload_in_memory = Pkcs12Provider.MAX_BYTES
    form = Pkcs12Form()
    if not form.validate_on_submit():
        error = _("This page has expired. Reload it and try again.")
        return _page(dossier, supplement, error=error, status=400)
    stream = getattr(form.key_file.data, "stream", None)
    if not isinstance(stream, InMemoryUpload) or stream.size == 0:
        return _page(dossier, supplement, error=_("Select your key file"), status=400)
    if stream.over_limit:
        return _page(dossier, supplement, error=_("This is too large to be a key file"), status=413)
    try:
        signer = (
            get_signing()
            .provider("pkcs12")
            .signer(  # type: ignore[attr-defined]
                pkcs12=stream.getvalue(), passphrase=form.passphrase.data or ""
            )
        )
        verdict = supplements.sign_and_send(dossier, supplement, signer)
    except SigningRefused as refusal:
        return _page(dossier, supplement, error=str(refusal.message), status=refusal.status)
    except UploadRefused as refusal:
        return _page(dossier, supplement, error=str(refusal.message), status=refusal.status)
    finally:
        stream.close()
    return _sent(dossier, supplement, verdict)
