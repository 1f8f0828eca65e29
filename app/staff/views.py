"""The staff pages: sign in, then the deliveries that failed or are being retried, and
"send again". Every page but sign-in needs a signed-in staff member."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from app.delivery import worker
from app.dossiers.models import Dossier
from app.extensions import db, limiter
from app.outbox import queue
from app.outbox.models import OutboxMessage
from app.staff import services
from app.staff.models import StaffUser

bp = Blueprint("staff", __name__, url_prefix="/staff")
RECENTLY_DELIVERED = 50  # shown with the back office's reference, newest first


class SignInForm(FlaskForm):
    username = StringField(_l("Name"), [InputRequired(_l("Enter your name")), Length(max=64)])
    password = PasswordField(_l("Password"), [InputRequired(_l("Enter your password")), Length(max=200)])


class ActionForm(FlaskForm):
    pass


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
def sign_in():
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        outcome, user = services.sign_in(form.username.data, form.password.data)
        if outcome is services.SignIn.OK and user is not None:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        if outcome is services.SignIn.LOCKED:
            form.password.errors.append(_("Too many wrong passwords: this account is locked for 15 minutes."))
        else:
            form.password.errors.append(_("This name and password do not match an account."))
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("staff/login.html", form=form), status


@bp.post("/logout")
def sign_out():
    if not ActionForm().validate_on_submit():
        abort(400)
    _start_session()
    return redirect(url_for("staff.sign_in"))


@bp.get("/deliveries")
@staff_required
def deliveries():
    # Failed, retrying after an error, or sent again by staff (attempts back to 0, error kept).
    troubled = (OutboxMessage.attempts > 0) | OutboxMessage.last_error.is_not(None)
    listing = select(OutboxMessage, Dossier.procedure_code, queue.dossier_reference_column()).join(
        Dossier, Dossier.id == OutboxMessage.dossier_id
    )
    rows = db.session.execute(
        listing.where(
            (OutboxMessage.state == "failed") | ((OutboxMessage.state == "pending") & troubled)
        ).order_by(OutboxMessage.state, OutboxMessage.id)
    ).all()
    delivered = db.session.execute(
        listing.where(OutboxMessage.state == "delivered")
        .order_by(OutboxMessage.delivered_at.desc(), OutboxMessage.id.desc())
        .limit(RECENTLY_DELIVERED)
    ).all()
    return render_template("staff/deliveries.html", rows=rows, delivered=delivered, form=ActionForm())


@bp.post("/deliveries/<int:message_id>/resend")
@staff_required
def resend(message_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    if worker.resend(message.idempotency_key):
        flash(_("%(code)s will be sent again now.", code=message.idempotency_key))
    else:
        flash(_("%(code)s has been delivered meanwhile: nothing to send.", code=message.idempotency_key))
    return redirect(url_for("staff.deliveries"))
