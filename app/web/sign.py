"""Signing the declaration: with a PKCS#12 file, a card (PKCS#11), or by uploading a PDF
signed elsewhere. Only a signature the portal validated moves the dossier on."""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import PasswordField

from app.attachments.uploads import InMemoryUpload, writer_of
from app.dossiers import services as dossiers
from app.dossiers.models import Dossier
from app.extensions import csrf
from app.signing import external, get_signing
from app.signing import services as signing
from app.signing.providers import Pkcs12Provider, SigningRefused
from app.signing.validation import Verdict
from app.storage import get_blobs
from app.web.access import dossier_or_404

bp = Blueprint("sign", __name__, url_prefix="/dossiers/<public_id>")
SIGNED_PDF_LIMIT = 50 * 1024 * 1024


class Pkcs12Form(FlaskForm):
    key_file = FileField(_l("Key file (.p12 or .pfx)"))
    passphrase = PasswordField(_l("Passphrase of the key file"))


class PinForm(FlaskForm):
    pin = PasswordField(_l("PIN of the card"))


class SignedUploadForm(FlaskForm):
    signed = FileField(_l("Declaration signed with your own software (PDF)"))


def _editable(public_id: str) -> Dossier:
    """A dossier that can be signed: still editable, and complete (else back to the review)."""
    dossier = dossier_or_404(public_id)
    if dossier.status not in dossiers.EDITABLE:
        abort(redirect(url_for("apply.dossier", public_id=public_id)))
    if not dossiers.completeness(dossier).ok:
        abort(redirect(url_for("apply.review", public_id=public_id)))
    return dossier


def _page(dossier: Dossier, *, error: str | None = None, method: str | None = None, status: int = 200):
    return render_template(
        "apply/sign.html",
        dossier=dossier,
        p=dossiers.procedure_of(dossier).definition,
        offered=get_signing().offered,
        pkcs12_form=Pkcs12Form(formdata=None),
        pin_form=PinForm(formdata=None),
        upload_form=SignedUploadForm(formdata=None),
        error=error,
        method=method,
        signature=signing.current_signature(dossier),
    ), status


def _outcome(dossier: Dossier, verdict: Verdict, method: str):
    if not verdict.ok:
        return _page(dossier, error=verdict.reason, method=method, status=422)
    flash(
        _("The declaration is signed by %(name)s. You can now submit the dossier.", name=verdict.signer_name)
    )
    return redirect(url_for("apply.review", public_id=dossier.public_id))


@bp.get("/sign")
def sign(public_id: str):
    return _page(_editable(public_id))


@bp.get("/declaration.pdf")
def declaration(public_id: str) -> WerkzeugResponse:
    dossier = _editable(public_id)
    pdf = signing.declaration_of(dossier).pdf
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name="don-de-nghi.pdf")


@bp.get("/signed.pdf")
def signed(public_id: str) -> WerkzeugResponse:
    dossier = dossier_or_404(public_id)
    found = signing.current_signature(dossier)
    if found is None:
        abort(404)
    return send_file(
        get_blobs().path(found.signed_sha256),
        mimetype="application/pdf",
        download_name=f"{dossier.code or 'don-de-nghi'}-da-ky.pdf",
    )


@bp.post("/sign/pkcs12")
@csrf.exempt  # checked below, after the key file is set to stay in memory
def with_pkcs12(public_id: str) -> Response:
    dossier = _editable(public_id)
    if "pkcs12" not in get_signing().offered:
        abort(404)
    g.upload_in_memory = Pkcs12Provider.MAX_BYTES
    form = Pkcs12Form()
    if not form.validate_on_submit():
        return _page(
            dossier, error=_("This page has expired. Reload it and try again."), method="pkcs12", status=400
        )
    upload = form.key_file.data
    stream = getattr(upload, "stream", None)
    if not isinstance(stream, InMemoryUpload) or stream.size == 0:
        return _page(dossier, error=_("Select your key file"), method="pkcs12", status=400)
    if stream.over_limit:
        return _page(dossier, error=_("This is too large to be a key file"), method="pkcs12", status=413)
    provider = get_signing().provider("pkcs12")
    try:
        signer = provider.signer(pkcs12=stream.getvalue(), passphrase=form.passphrase.data or "")  # type: ignore[attr-defined]
        verdict = signing.sign_with(dossier, signer, method="pkcs12")
    except SigningRefused as refusal:
        return _page(dossier, error=str(refusal.message), method="pkcs12", status=refusal.status)
    finally:
        stream.close()
    return _outcome(dossier, verdict, "pkcs12")


@bp.post("/sign/pkcs11")
def with_card(public_id: str) -> Response:
    dossier = _editable(public_id)
    if "pkcs11" not in get_signing().offered:
        abort(404)
    form = PinForm()
    if not form.validate_on_submit() or not form.pin.data:
        return _page(dossier, error=_("Enter the PIN of the card"), method="pkcs11", status=400)
    try:
        with get_signing().provider("pkcs11").signer(pin=form.pin.data) as signer:  # type: ignore[attr-defined]
            verdict = signing.sign_with(dossier, signer, method="pkcs11")
    except SigningRefused as refusal:
        return _page(dossier, error=str(refusal.message), method="pkcs11", status=refusal.status)
    return _outcome(dossier, verdict, "pkcs11")


@bp.post("/sign/external")
def with_agent(public_id: str):
    dossier = _editable(public_id)
    if "external" not in get_signing().offered:
        abort(404)
    opened = external.open_session(dossier)
    session_url = url_for("signing_api.prepare", token=opened.token, _external=True).removesuffix("/prepare")
    return render_template(
        "apply/sign_external.html",
        dossier=dossier,
        p=dossiers.procedure_of(dossier).definition,
        session_url=session_url,
        expires_at=opened.session.expires_at,
    )


@bp.post("/sign/upload")
@csrf.exempt  # checked below, once the upload limit is set
def with_upload(public_id: str) -> Response:
    dossier = _editable(public_id)
    if "upload" not in get_signing().offered:
        abort(404)
    g.upload_limit = SIGNED_PDF_LIMIT
    form = SignedUploadForm()
    if not form.validate_on_submit():
        return _page(
            dossier, error=_("This page has expired. Reload it and try again."), method="upload", status=400
        )
    writer = writer_of(form.signed.data)
    if writer is None or writer.size == 0:
        return _page(dossier, error=_("Select the signed PDF"), method="upload", status=400)
    if writer.over_limit:
        return _page(
            dossier, error=_("The file must be smaller than %(num)d MB", num=50), method="upload", status=413
        )
    writer.flush()
    signed_pdf = writer.path.read_bytes()
    writer.discard()
    try:
        verdict = signing.accept_signed(dossier, signed_pdf, method="upload")
    except SigningRefused as refusal:
        return _page(dossier, error=str(refusal.message), method="upload", status=refusal.status)
    return _outcome(dossier, verdict, "upload")
