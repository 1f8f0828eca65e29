"""My dossiers: the list (/mine/), a stage's own pages (/mine/?stage=drafts&page=2) and the
claim, by code (or address) and secret or, for a dossier this browser already holds, with one
click. Signed-in applicants only; claiming says nothing about dossiers it cannot claim."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from app.accounts.sessions import current_account
from app.dossiers.access import held_secrets, release
from app.dossiers.status import Stage
from app.extensions import Form, claim_rate
from app.mine import services

bp = Blueprint("mine", __name__, url_prefix="/mine", template_folder="templates")
EXPIRED = _l("This page has expired or was sent from elsewhere. Reload the page and try again.")
NOT_CLAIMABLE = _l(
    "No dossier you can add has this code and access code. Check both and try again; "
    "a dossier already kept in another account cannot be added."
)


class ClaimForm(Form):
    reference = StringField(
        _l("Dossier code"),
        [InputRequired(_l("Enter the dossier code")), Length(max=services.REFERENCE_MAX)],
        description=_l("Printed on your receipt; for a draft, the address of its pages (after /dossiers/)."),
    )
    secret = StringField(
        _l("Access code"),
        [InputRequired(_l("Enter the access code from your receipt")), Length(max=100)],
        description=_l("Printed on your receipt, below the QR code, or the end of your resume link."),
    )


class ClaimHeldForm(Form):
    pass


def _signed_out() -> tuple[str, int]:
    return render_template("mine/signed_out.html"), 401


def _claimed(found_public_id: str) -> Response:
    flash(_("The dossier is now kept in your account. Only you, signed in, can open it."))
    return redirect(url_for("mine.index") + f"#dossier-{found_public_id}")


@bp.get("/")
def index() -> str | tuple[str, int]:
    account = current_account()
    if account is None:
        return _signed_out()
    stage_name = request.args.get("stage")
    if stage_name is not None:
        if stage_name not in {s.value for s in Stage}:
            abort(404)
        page = request.args.get("page", "1")
        number = int(page) if page.isdigit() and len(page) < 7 else 1
        listings = [services.listing(account, Stage(stage_name), page=number)]
    else:
        listings = services.overview(account)
    return render_template(
        "mine/index.html",
        account=account,
        listings=listings,
        one_stage=stage_name is not None,
        held=services.claimable(held_secrets()),
        held_form=ClaimHeldForm(formdata=None),
        claim_form=ClaimForm(formdata=None),
    )


@bp.route("/claim", methods=["GET", "POST"])
@claim_rate
def claim() -> Response | str | tuple[str, int]:
    account = current_account()
    if account is None:
        return _signed_out()
    form = ClaimForm()
    status = 200
    if form.validate_on_submit():
        try:
            dossier = services.find_claimable(form.reference.data or "", form.secret.data or "")
            services.claim(dossier, account)
        except services.NotFound:
            form.reference.errors = [*form.reference.errors, str(NOT_CLAIMABLE)]
            status = 404
        else:
            release(dossier)
            return _claimed(dossier.public_id)
    elif request.method == "POST":
        status = 400
    summary = [(f.id, str(f.label.text), f.errors[0]) for f in (form.reference, form.secret) if f.errors]
    if form.csrf_token.errors:
        summary.append(("", "", str(EXPIRED)))
    return render_template("mine/claim.html", form=form, summary=summary), status


@bp.post("/claim/<public_id>")
@claim_rate
def claim_held(public_id: str) -> Response:
    """One click: a dossier whose secret this browser already holds (the secret is not sent)."""
    account = current_account()
    secret = held_secrets().get(public_id)
    if account is None or secret is None:
        abort(404)
    if not ClaimHeldForm().validate_on_submit():
        flash(str(EXPIRED))
        return redirect(url_for("mine.index"))
    try:
        dossier = services.find_claimable(public_id, secret)
        services.claim(dossier, account)
    except services.NotFound:
        abort(404)
    release(dossier)
    return _claimed(public_id)
