"""Where a provider sends the applicant's browser back, and where it posts its notification.

The browser's return is read and its checksum checked, but it settles nothing: the portal then
asks the provider itself (`query`), and the notification, or reconciliation, settles what the
query could not. The notification is answered in the provider's own terms (`acknowledge`)."""

from __future__ import annotations

import contextlib
import logging

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from app.dossiers.access import may_reach
from app.extensions import csrf, db
from app.payments import services
from app.payments.models import PAID, STARTED, Payment
from app.payments.providers import Forged, PaymentProvider, Unavailable, get_providers

logger = logging.getLogger(__name__)

bp = Blueprint("payments", __name__, template_folder="templates")

# A provider's notification is a few fields: its own limit, not the dossier's upload budget
# (MAX_CONTENT_LENGTH), so that nobody can make the portal hold more to read one.
MAX_NOTIFICATION = 64 * 1024


def _provider(name: str) -> PaymentProvider:
    provider = get_providers().get(name)
    if provider is None:
        abort(404)
    return provider


@bp.get("/payments/<provider>/return")
def returned(provider: str) -> Response | str | tuple[str, int]:
    chosen = _provider(provider)
    try:
        report = chosen.returned(params=request.args)
    except Forged:
        logger.warning("a return from %s whose checksum does not hold", provider)
        return render_template(
            "error.html",
            title=_("This payment could not be confirmed"),
            message=_(
                "The answer brought back from the payment service could not be checked. Nothing was "
                "paid on its word: if money was taken, the portal will learn of it from the payment "
                "service itself. Open your dossier's page to see its payments."
            ),
        ), 400
    if not services.is_reference(report.reference):
        abort(404)  # not one of ours: never looked up
    payment = db.session.scalar(
        select(Payment).where(Payment.reference == report.reference, Payment.provider == provider)
    )
    if payment is None:
        return _elsewhere()
    outcome = None
    if payment.state != PAID:
        # Never on the browser's word: ask the provider, server to server.
        try:
            asked = chosen.query(
                reference=payment.reference, amount=payment.amount, started_at=payment.started_at
            )
        except Unavailable as exc:
            logger.warning(
                "payment %s: %s could not be asked on return: %s", payment.reference, provider, exc
            )
        else:
            # Not settled now (logged): the notification or reconciliation settles it.
            with contextlib.suppress(services.NotSettled):
                outcome = services.settle(asked, provider=provider, via="query").outcome
        payment = db.session.get_one(Payment, payment.id)
    dossier = payment.dossier
    # A browser that may not reach the dossier (the payer's bank app, someone holding a
    # reference) learns nothing of it: the same page as for a reference not known here.
    if not may_reach(dossier):
        return _elsewhere()
    flash(_outcome_message(payment, outcome))
    return redirect(url_for("apply.dossier", public_id=dossier.public_id))


def _elsewhere() -> str:
    return render_template("payments/returned.html")


def _outcome_message(payment: Payment, outcome: str | None) -> str:
    if payment.state == PAID and payment.refund_due:
        return _(
            "The payment was received, but this dossier no longer takes it: it will be refunded. "
            "Its receipt is on your dossier's page."
        )
    if payment.state == PAID:
        return _("The payment is received. Its receipt is on your dossier's page.")
    if outcome == "mismatch":
        return _(
            "The payment service reported an amount or a dossier that is not what was asked, so "
            "nothing was recorded as paid. The agency's staff will check it: do not pay again "
            "before they have."
        )
    if payment.state == STARTED:
        return _("The payment service has not confirmed the payment yet. This page shows it once it does.")
    return _("The payment was not made. You can try again.")


@bp.route("/api/v1/payments/<provider>/notify", methods=["GET", "POST"])
@csrf.exempt  # server to server: the provider's checksum is the credential
def notified(provider: str) -> Response:
    chosen = _provider(provider)
    request.max_content_length = MAX_NOTIFICATION  # this limit, whatever the client claims
    try:
        if (request.content_length or 0) > MAX_NOTIFICATION:
            raise RequestEntityTooLarge()
        params, body = request.values, request.get_data()
    except RequestEntityTooLarge:
        logger.warning("a notification to %s larger than %d bytes: refused", provider, MAX_NOTIFICATION)
        refused = chosen.acknowledge(outcome="forged")
        return Response(refused.body, status=413, mimetype=refused.media_type)
    try:
        report = chosen.notified(params=params, body=body)
    except Forged:
        logger.warning("a notification from %s whose checksum does not hold: refused", provider)
        answer = chosen.acknowledge(outcome="forged")
    else:
        try:
            outcome = services.settle(report, provider=provider, via="notification").outcome
        except services.NotSettled:
            outcome = "pending"  # not recorded: the provider sends it again
        answer = chosen.acknowledge(outcome=outcome)
    return Response(answer.body, status=answer.status, mimetype=answer.media_type)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
