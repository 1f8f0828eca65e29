"""Signing a declaration, the dossier's or a supplement's: one set of views for every way to sign
(a signer provider such as a key file or a card, a signing agent, a PDF signed elsewhere).
Only a signature the portal validated counts.

Each kind of declaration has a `SigningPage` (who may sign it, the page that shows the ways to
sign, where to go next) registered with `register`; the views below serve every kind under its
own prefix: /dossiers/<id>/sign/… and /dossiers/<id>/supplement/sign/….
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import PasswordField

from app import scanning
from app.dossiers import records as dossiers
from app.dossiers.access import dossier_or_404
from app.dossiers.models import Dossier
from app.extensions import Form, signing_rate
from app.signing import Credentials, external, get_signing
from app.signing import services as signing
from app.signing.declarations import DeclarationToSign
from app.signing.providers import KEY_FILE_MAX_BYTES, Provider, SigningRefused
from app.signing.validation import Verdict
from app.storage import send_blob
from app.uploads import MB, InMemoryUpload, upload_limit, writer_of

bp = Blueprint("sign", __name__, url_prefix="/dossiers/<public_id>", template_folder="templates")
SIGNED_PDF_LIMIT = 50 * MB  # a PDF signed elsewhere, for every kind of declaration


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


class Pkcs12Form(Form):
    key_file = FileField(_l("Key file (.p12 or .pfx)"))
    passphrase = PasswordField(_l("Passphrase of the key file"))


class PinForm(Form):
    pin = PasswordField(_l("PIN of the card"))


class SignedUploadForm(Form):
    signed = FileField(_l("Declaration signed with your own software (PDF)"))


PageResult = tuple[str, int]


class SigningPage(ABC):
    """The web side of one kind of declaration (see app/signing/declarations.py)."""

    kind: ClassVar[str]
    prefix: ClassVar[str]  # under /dossiers/<public_id>
    download_name: ClassVar[str]
    as_attachment: ClassVar[bool] = False
    sign_label: ClassVar[object]  # the button of each way to sign
    read_label: ClassVar[object]  # the link to the unsigned declaration
    upload_hint: ClassVar[object]

    @abstractmethod
    def open(self, public_id: str) -> DeclarationToSign:
        """The declaration, if this browser may sign it now; else abort (404, or a redirect)."""

    @abstractmethod
    def render(
        self, target: DeclarationToSign, *, error: str | None = None, method: str | None = None, status: int
    ) -> PageResult:
        """The page that offers the ways to sign, with a refusal when there is one."""

    @abstractmethod
    def signed_message(self, target: DeclarationToSign, verdict: Verdict) -> str: ...

    @abstractmethod
    def next_url(self, target: DeclarationToSign) -> str:
        """Where the applicant goes once it is signed."""

    def file_name(self, target: DeclarationToSign) -> str:
        return self.download_name


PAGES: dict[str, SigningPage] = {}


@dataclass(frozen=True)
class Methods:
    """What the shared macro (templates/signing/methods.html) needs to offer the ways to sign."""

    page: SigningPage
    public_id: str
    offered: list[str]
    providers: dict[str, Provider]
    pkcs12_form: Pkcs12Form
    pin_form: PinForm
    signed_form: SignedUploadForm

    @property
    def kind(self) -> str:
        return self.page.kind


def methods(page: SigningPage, target: DeclarationToSign) -> Methods:
    found = get_signing()
    return Methods(
        page=page,
        public_id=target.dossier.public_id,
        offered=found.offered,
        providers={n: found.providers[n] for n in found.offered if n in found.providers},
        pkcs12_form=Pkcs12Form(formdata=None),
        pin_form=PinForm(formdata=None),
        signed_form=SignedUploadForm(formdata=None),
    )


def register(page: SigningPage) -> SigningPage:
    """Serve the ways to sign for one kind of declaration, under its prefix."""
    if page.kind in PAGES:
        raise RuntimeError(f"two signing pages for {page.kind!r}")
    PAGES[page.kind] = page
    kind = {"kind": page.kind}
    bp.add_url_rule(f"{page.prefix}/declaration.pdf", view_func=declaration, defaults=kind)
    bp.add_url_rule(f"{page.prefix}/sign/external", view_func=with_agent, methods=["POST"], defaults=kind)
    bp.add_url_rule(f"{page.prefix}/sign/upload", view_func=with_upload, methods=["POST"], defaults=kind)
    bp.add_url_rule(
        f"{page.prefix}/sign/<provider>", view_func=with_provider, methods=["POST"], defaults=kind
    )
    return page


def _outcome(
    page: SigningPage, target: DeclarationToSign, verdict: Verdict, method: str
) -> PageResult | WerkzeugResponse:
    if not verdict.ok:
        return page.render(target, error=verdict.reason, method=method, status=422)
    flash(page.signed_message(target, verdict))
    return redirect(page.next_url(target))


def _expired(public_id: str, kind: str, provider: str = "upload") -> PageResult:
    """The page that offers the ways to sign, when its form came without a valid CSRF token."""
    page = PAGES[kind]
    return page.render(
        page.open(public_id),
        error=_("This page has expired. Reload it and try again."),
        method=provider,
        status=400,
    )


def _offered_provider(provider: str) -> Provider:
    found = get_signing()
    if provider not in found.offered or provider not in found.providers:
        abort(404)
    return found.providers[provider]


def _key_file_limit(public_id: str, kind: str, provider: str) -> int:
    """A key file is kept in memory, and only for a provider that asks for one."""
    PAGES[kind].open(public_id)
    return KEY_FILE_MAX_BYTES if _offered_provider(provider).asks == "key_file" else 0


def _signed_pdf_limit(public_id: str, kind: str) -> int:
    PAGES[kind].open(public_id)
    if "upload" not in get_signing().offered:
        abort(404)
    return SIGNED_PDF_LIMIT


def declaration(public_id: str, kind: str) -> WerkzeugResponse:
    page = PAGES[kind]
    target = page.open(public_id)
    return send_file(
        io.BytesIO(target.declaration().pdf),
        mimetype="application/pdf",
        as_attachment=page.as_attachment,
        download_name=page.file_name(target),
    )


@signing_rate
@upload_limit(_key_file_limit, in_memory=True, expired=_expired)
def with_provider(public_id: str, kind: str, provider: str) -> ResponseReturnValue:
    """Any offered signer provider: what it asks for (`Provider.asks`), then its `open`."""
    page = PAGES[kind]
    target = page.open(public_id)
    chosen = _offered_provider(provider)
    stream: InMemoryUpload | None = None
    if chosen.asks == "key_file":
        form = Pkcs12Form()
        candidate = getattr(form.key_file.data, "stream", None)
        stream = candidate if isinstance(candidate, InMemoryUpload) else None
        if stream is not None and stream.over_limit:
            stream.close()
            return page.render(
                target, error=_("This is too large to be a key file"), method=provider, status=413
            )
        credentials = Credentials(
            secret=form.passphrase.data or "", key_file=stream.getvalue() if stream and stream.size else None
        )
    else:
        credentials = Credentials(secret=PinForm().pin.data or "")
    try:
        target.ensure_signable()
        with chosen.open(credentials=credentials) as signer:
            verdict = signing.sign_with(target, signer, method=provider)
    except SigningRefused as refusal:
        return page.render(target, error=str(refusal.message), method=provider, status=refusal.status)
    finally:
        if stream is not None:
            stream.close()
    return _outcome(page, target, verdict, provider)


@signing_rate
def with_agent(public_id: str, kind: str) -> ResponseReturnValue:
    page = PAGES[kind]
    target = page.open(public_id)
    if "external" not in get_signing().offered:
        abort(404)
    try:
        opened = external.open_session(target)
    except SigningRefused as refusal:
        return page.render(target, error=str(refusal.message), method="external", status=refusal.status)
    session_url = url_for("signing_api.prepare", token=opened.token, _external=True).removesuffix("/prepare")
    return render_template(
        "signing/agent.html",
        dossier=target.dossier,
        p=dossiers.procedure_of(target.dossier).definition,
        session_url=session_url,
        expires_at=opened.session.expires_at,
        next_url=page.next_url(target),
    )


@signing_rate
@upload_limit(_signed_pdf_limit, expired=_expired)
def with_upload(public_id: str, kind: str) -> ResponseReturnValue:
    page = PAGES[kind]
    target = page.open(public_id)
    writer = writer_of(SignedUploadForm().signed.data)
    if writer is None or writer.size == 0:
        return page.render(target, error=_("Select the signed PDF"), method="upload", status=400)
    if writer.over_limit:
        error = _("The file must be smaller than %(num)d MB", num=SIGNED_PDF_LIMIT // MB)
        return page.render(target, error=error, method="upload", status=413)
    writer.flush()
    infected = scanning.refusal_of(writer.path)
    if infected is not None:
        writer.discard()
        return page.render(target, error=str(infected.message), method="upload", status=infected.status)
    signed_pdf = writer.path.read_bytes()
    writer.discard()
    try:
        verdict = signing.accept_signed(target, signed_pdf, method="upload")
    except SigningRefused as refusal:
        return page.render(target, error=str(refusal.message), method="upload", status=refusal.status)
    return _outcome(page, target, verdict, "upload")


# The dossier's own declaration (đơn đề nghị): signed once the dossier is complete, before it
# is submitted; its page is /dossiers/<id>/sign.


def _editable(public_id: str) -> Dossier:
    """A dossier that can be signed: still editable, and complete (else back to the review)."""
    dossier = dossier_or_404(public_id)
    if dossier.status not in dossiers.EDITABLE:
        abort(redirect(url_for("apply.dossier", public_id=public_id)))
    if not dossiers.completeness(dossier).ok:
        abort(redirect(url_for("apply.review", public_id=public_id)))
    return dossier


class DossierPage(SigningPage):
    kind = "dossier"
    prefix = ""
    download_name = "don-de-nghi.pdf"
    sign_label = _l("Sign")
    read_label = _l("Read the declaration (PDF)")
    upload_hint = _l(
        "Download the declaration, sign it with your token's software without changing it, "
        "and upload the signed PDF."
    )

    def open(self, public_id: str) -> signing.DossierDeclaration:
        return signing.DossierDeclaration(_editable(public_id))

    def render(
        self, target: DeclarationToSign, *, error: str | None = None, method: str | None = None, status: int
    ) -> PageResult:
        dossier = target.dossier
        return render_template(
            "apply/sign.html",
            dossier=dossier,
            p=dossiers.procedure_of(dossier).definition,
            methods=methods(self, target),
            error=error,
            method=method,
        ), status

    def signed_message(self, target: DeclarationToSign, verdict: Verdict) -> str:
        return _(
            "The declaration is signed by %(name)s. You can now submit the dossier.", name=verdict.signer_name
        )

    def next_url(self, target: DeclarationToSign) -> str:
        return url_for("apply.review", public_id=target.dossier.public_id)


DOSSIER = register(DossierPage())


@bp.get("/sign")
def sign(public_id: str) -> PageResult:
    return DOSSIER.render(DOSSIER.open(public_id), status=200)


@bp.get("/signed.pdf")
def signed(public_id: str) -> Response:
    dossier = dossier_or_404(public_id)
    found = signing.current_signature(dossier)
    if found is None:
        abort(404)
    return send_blob(
        found.signed_sha256,
        mimetype="application/pdf",
        download_name=f"{dossier.code or 'don-de-nghi'}-da-ky.pdf",
    )
