"""The staff pages: sign in, then the deliveries that failed or are being retried, and
"send again"; the payments left unsettled, failed or to refund, "ask the provider now" and
"refund made". Every page but sign-in needs a signed-in staff member."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from app.extensions import Form, limiter
from app.payments.services import NotRefundable
from app.ratings import services as ratings
from app.staff import deliveries as queue
from app.staff import payments as money
from app.staff import services
from app.staff.models import StaffUser

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")


class SignInForm(Form):
    username = StringField(_l("Name"), [InputRequired(_l("Enter your name")), Length(max=64)])
    password = PasswordField(_l("Password"), [InputRequired(_l("Enter your password")), Length(max=200)])


class ActionForm(Form):
    pass


class RefundForm(Form):
    note = StringField(
        _l("How it was refunded (optional)"),
        [Length(max=200, message=_l("Write at most 200 characters about the refund."))],
    )


def _safe_next(target: str | None) -> str:
    """Only a path on this site, under /staff: never an open redirect."""
    if not target or not target.startswith("/staff/") or any(c in target for c in "\\\t\r\n "):
        return url_for("staff.deliveries")
    return target


def _start_session(user: StaffUser | None = None) -> None:
    """A fresh session at sign-in and sign-out: the one before ends on the server too, and
    nothing of it survives but the language."""
    services.close_session(session.get("staff_token"))
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    if user is not None:
        session["staff_token"] = services.open_session(user)


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g.staff = services.current(session.get("staff_token"))
        if g.staff is None:
            return redirect(url_for("staff.sign_in", next=request.path))
        return view(*args, **kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def sign_in() -> ResponseReturnValue:
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        # InputRequired: both are given once the form validates.
        outcome, user = services.sign_in(form.username.data or "", form.password.data or "")
        if outcome is services.SignIn.OK and user is not None:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        if outcome is services.SignIn.LOCKED:
            refusal = _("Too many wrong passwords: this account is locked for 15 minutes.")
        else:
            refusal = _("This name and password do not match an account.")
        form.password.errors = [*form.password.errors, refusal]
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("staff/login.html", form=form), status


@bp.post("/logout")
def sign_out() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    _start_session()
    return redirect(url_for("staff.sign_in"))


@bp.get("/deliveries")
@staff_required
def deliveries() -> str:
    found = queue.listing()
    return render_template(
        "staff/deliveries.html", rows=found.troubled, delivered=found.delivered, form=ActionForm()
    )


@bp.post("/deliveries/<int:message_id>/resend")
@staff_required
def resend(message_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    resent = queue.resend(message_id)
    if resent is None:
        abort(404)
    if resent.again:
        flash(_("%(code)s will be sent again now.", code=resent.code))
    else:
        flash(_("%(code)s has been delivered meanwhile: nothing to send.", code=resent.code))
    return redirect(url_for("staff.deliveries"))


@bp.get("/ratings")
@staff_required
def rating_counts() -> str:
    """How satisfied applicants were, counted per procedure (the kiosk asks after the receipt)."""
    return render_template("staff/ratings.html", counts=ratings.counts(), scores=ratings.SCORES[::-1])


@bp.get("/payments")
@staff_required
def payments() -> str:
    return render_template(
        "staff/payments.html",
        found=money.listing(),
        labels=money.Labels(),
        age=money.age,
        form=ActionForm(),
        refund_form=RefundForm(),
    )


def _asked_message(asked: money.Asked) -> str:
    ref = asked.reference
    return {
        "settled": {
            "paid": _("%(reference)s: the provider says it is paid; it is settled now.", reference=ref),
            "failed": _(
                "%(reference)s: the provider says it was not paid; it is settled now.", reference=ref
            ),
        }.get(asked.state, _("%(reference)s: the provider's answer is applied.", reference=ref)),
        "already": _("%(reference)s was settled already.", reference=ref),
        "skipped": _("%(reference)s is settled already, or being asked about right now.", reference=ref),
        "pending": _(
            "%(reference)s: the provider says it is not settled yet; it is asked again later.", reference=ref
        ),
        "unknown": _(
            "%(reference)s: the provider knows nothing of it yet; it is asked again later.", reference=ref
        ),
        "expired": _(
            "%(reference)s: the provider knows nothing of it past its time: it has expired.", reference=ref
        ),
        "unavailable": _(
            "%(reference)s: the provider could not be asked now; try again later.", reference=ref
        ),
        "mismatch": _(
            "%(reference)s: the provider's answer does not match what was asked; nothing was settled.",
            reference=ref,
        ),
        "not_offered": _(
            "%(reference)s: its payment provider is no longer offered here; settle it with the provider.",
            reference=ref,
        ),
    }.get(asked.outcome, _("%(reference)s: asking the provider failed; the log says why.", reference=ref))


@bp.post("/payments/<int:payment_id>/check")
@staff_required
def payment_check(payment_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    asked = money.ask(payment_id)
    if asked is None:
        abort(404)
    flash(_asked_message(asked))
    return redirect(url_for("staff.payments"))


@bp.post("/payments/<int:payment_id>/refund")
@staff_required
def payment_refund(payment_id: int) -> Response:
    form = RefundForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors or not form.errors:
            abort(400)
        for errors in form.errors.values():
            for error in errors:
                flash(str(error))
        return redirect(url_for("staff.payments"))
    try:
        refunded = money.refund(payment_id, by=g.staff.username, note=form.note.data)
    except LookupError:
        abort(404)
    except NotRefundable:
        flash(_("This payment is not awaiting a refund: nothing was recorded."))
    else:
        flash(_("The refund of %(reference)s is recorded.", reference=refunded.reference))
    return redirect(url_for("staff.payments"))
