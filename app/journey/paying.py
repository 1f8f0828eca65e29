"""Paying a dossier's fees online (app.payments): the payment page (what is due, each item, the
providers offered, every payment's state), starting a payment, the receipts, and taking a
dossier that waits for its fees back to a draft.

Starting a payment sends the browser to the provider: a GET redirect, or a page whose form posts
the provider's fields to it (sent by site.js, or by a button without JavaScript). The portal's
pages post forms to itself only (Content-Security-Policy form-action 'self'), and browsers hold
the redirect after a form's POST to it too: a provider elsewhere is reached from a page of its
own, whose policy names the provider's address."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from werkzeug.wrappers import Response
from wtforms import HiddenField, RadioField

from app.dossiers import records
from app.dossiers.access import dossier_or_404
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.extensions import Form, db
from app.i18n import current_locale
from app.journey import submission
from app.payments import services as payments
from app.payments.models import DUE, PAID, Charge, Payment
from app.payments.providers import Redirect, Unavailable, get_providers
from app.storage import send_blob

bp = Blueprint("pay", __name__, url_prefix="/dossiers/<public_id>", template_folder="templates")

EXPIRED = _l("This page has expired or was sent from elsewhere. Reload the page and try again.")
NOT_DUE = _l("This amount is no longer due: the page shows what is due now.")
TWICE = _l(
    "This payment was already started (a second click?). Its state is shown below; start another "
    "only if it did not go through."
)


class PayForm(Form):
    """Pay one charge: which one, how many attempts the applicant saw (a second click, or a page
    sent again, starts nothing more), and through which provider."""

    charge = HiddenField()
    attempt = HiddenField()
    provider = RadioField(_l("How to pay"), validate_choice=False)


class ChangeForm(Form):
    pass


def _form_for(charge: Charge) -> PayForm:
    form = PayForm(formdata=None, data={"charge": str(charge.id), "attempt": str(len(charge.payments))})
    _offer(form)
    return form


def _offer(form: PayForm) -> None:
    providers = get_providers()
    locale = current_locale()
    form.provider.choices = [(name, providers[name].title.get(locale)) for name in providers.offered]
    if len(form.provider.choices) == 1 and not form.provider.data:
        form.provider.data = form.provider.choices[0][0]


def _page(dossier: Dossier, *, errors: dict[int, str] | None = None, status: int = 200) -> tuple[str, int]:
    charges = payments.charges_of(dossier)
    if not charges:
        abort(404)
    return render_template(
        "pay/page.html",
        dossier=dossier,
        p=records.procedure_of(dossier).definition,
        charges=charges,
        due=sum(c.amount for c in charges if c.state == DUE),
        forms={c.id: _form_for(c) for c in charges if c.state == DUE},
        errors=errors or {},
        change_form=ChangeForm(formdata=None) if dossier.status == Status.AWAITING_PAYMENT else None,
        summary=[(f"charge-{n}", "", m) for n, m in (errors or {}).items()],
    ), status


@bp.get("/payment")
def page(public_id: str) -> tuple[str, int]:
    return _page(dossier_or_404(public_id))


def _charge_of(dossier: Dossier, given: str | None) -> Charge | None:
    """The dossier's charge the form names, if it is still due (another dossier's is none)."""
    if not given or not given.isascii() or not given.isdigit() or len(given) > 12:
        return None
    return next((c for c in payments.charges_of(dossier) if c.id == int(given) and c.state == DUE), None)


def _claim(charge: Charge, attempt: str | None) -> bool:
    """Whether this POST may start the charge's next payment: the attempt the page showed is the
    next one, and no other request took it meanwhile (the charge's version moves on)."""
    if attempt != str(len(charge.payments)):
        return False
    moved = db.session.execute(
        update(Charge)
        .where(Charge.id == charge.id, Charge.version_id == charge.version_id, Charge.state == DUE)
        .values(version_id=Charge.version_id + 1)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return False
    return True


@bp.post("/payment")
def pay(public_id: str) -> Response | str | tuple[str, int]:
    dossier = dossier_or_404(public_id)
    form = PayForm()
    _offer(form)
    charge = _charge_of(dossier, form.charge.data)
    if charge is None:
        if not payments.charges_of(dossier):
            abort(404)
        return _page(dossier, errors={0: str(NOT_DUE)}, status=409)
    if not form.validate():
        return _page(dossier, errors={charge.number: str(EXPIRED)}, status=400)
    name = form.provider.data or ""
    if not name:
        return _page(dossier, errors={charge.number: _("Choose how to pay")}, status=400)
    provider = get_providers().get(name)
    if provider is None:
        refused = _("This way of paying is not offered. Choose one of those listed.")
        return _page(dossier, errors={charge.number: refused}, status=400)
    if not _claim(charge, form.attempt.data):
        return _page(dossier, errors={charge.number: str(TWICE)}, status=409)
    payment = payments.begin(charge, name)
    order = payments.order_of(
        payment,
        return_url=url_for("payments.returned", provider=name, _external=True),
        notify_url=url_for("payments.notified", provider=name, _external=True),
        client_ip=request.remote_addr or "",
    )
    try:
        where = provider.start(order=order)
    except (Unavailable, ValueError) as exc:
        current_app.logger.warning("payment %s: %s could not start it: %s", payment.reference, name, exc)
        payments.not_started(payment, str(exc))
        down = _("The payment service cannot be reached now. Nothing was paid; try again later.")
        return _page(dossier, errors={charge.number: down}, status=503)
    return to_provider(where)


def to_provider(where: Redirect) -> Response | str:
    """The answer that sends the browser where the provider said: a redirect to the portal
    itself (the demo providers), else a page of its own (see the module's docstring)."""
    target = urlsplit(where.url)
    public = urlsplit(current_app.config["OPENDVC"].PUBLIC_URL)
    if where.method == "GET" and (target.scheme, target.netloc) == (public.scheme, public.netloc):
        return redirect(where.url, code=303)
    origin = f"{target.scheme}://{target.netloc}"
    response = Response(render_template("pay/redirect.html", where=where), mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        f"form-action 'self' {origin}; frame-ancestors 'none'"
    )
    return response


@bp.post("/payment/change")
def change(public_id: str) -> Response | tuple[str, int]:
    """Back to a draft, to change the dossier before paying (its due charge is cancelled)."""
    dossier = dossier_or_404(public_id)
    if not ChangeForm().validate_on_submit():
        return _page(dossier, errors={0: str(EXPIRED)}, status=400)
    try:
        submission.back_to_draft(dossier)
    except (submission.NotAwaitingPayment, submission.DossierChanged):
        flash(_("This dossier changed meanwhile. Check its status and try again."))
        return redirect(url_for("apply.dossier", public_id=public_id))
    flash(_("The dossier is a draft again: change it, sign it and submit it again."))
    return redirect(url_for("apply.review", public_id=public_id))


@bp.get("/payments/<reference>/receipt.pdf")
def receipt(public_id: str, reference: str) -> Response:
    dossier = dossier_or_404(public_id)
    if not payments.is_reference(reference):
        abort(404)  # not one of ours: never looked up
    payment = db.session.scalar(
        db.select(Payment).where(Payment.reference == reference, Payment.dossier_id == dossier.id)
    )
    if payment is None or payment.state != PAID or payment.receipt_sha256 is None:
        abort(404)
    return send_blob(
        payment.receipt_sha256,
        mimetype="application/pdf",
        download_name=f"{payment.receipt_number}.pdf",
    )
