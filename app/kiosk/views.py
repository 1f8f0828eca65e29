"""The kiosk's own pages: the entry (choose a procedure), the ID card scan, the slip, the rating
and "start again". The dossier's pages themselves are the journey's, shown in the kiosk's
touch layout (see app/kiosk/__init__.py)."""

from __future__ import annotations

import segno
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from app.catalog import get_catalog
from app.dossiers import records, services
from app.dossiers.access import dossier_or_404, grant, secret_for
from app.dossiers.models import Dossier
from app.dossiers.status import Status
from app.i18n import current_locale
from app.kiosk import scan as id_card
from app.kiosk.services import forget
from app.payments import services as payments
from app.ratings import services as ratings
from app.ratings.forms import RatingForm

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates")
# What the browser is told to drop when a person leaves the kiosk.
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'
SLIP_LAYOUTS = {"80mm": "kiosk", "a4": "a4"}  # the slip's layout -> the receipt's stylesheet


class ScanForm(FlaskForm):
    scan = StringField(
        _l("ID card QR code"),
        [InputRequired(_l("Scan the QR code of your ID card")), Length(max=1000)],
        render_kw={"autocomplete": "off", "autofocus": True, "spellcheck": "false"},
    )


class StartAgainForm(FlaskForm):
    pass


def kiosk_on() -> bool:
    return bool(current_app.config["OPENDVC"].KIOSK or session.get("kiosk"))


def holds_someone() -> bool:
    """Whether the page may show something of a person: off only on the entry page of a
    session that holds nothing (after a wipe, the idle timer has nothing left to forget)."""
    return request.endpoint != "kiosk.entry" or bool(session.get("dossiers") or session.get("locale"))


@bp.get("/")
def entry() -> str:
    session["kiosk"] = True  # a cookie, not a write: this browser is a kiosk from now on
    procedures = sorted(get_catalog().all(), key=lambda p: p.definition.name.get(current_locale()))
    return render_template("kiosk/entry.html", procedures=procedures, ended=request.args.get("ended"))


@bp.post("/procedures/<code>/start")
def start(code: str) -> Response:
    loaded = get_catalog().get(code) or abort(404)
    started = services.start(loaded, locale=current_locale())
    grant(started.dossier, started.secret)
    session["kiosk"] = True
    return redirect(url_for("kiosk.scan", public_id=started.dossier.public_id))


@bp.route("/dossiers/<public_id>/scan", methods=["GET", "POST"])
def scan(public_id: str) -> Response | tuple[str, int]:
    dossier = dossier_or_404(public_id)
    if dossier.status not in records.EDITABLE:
        abort(404)
    loaded = records.procedure_of(dossier)
    first = url_for("apply.step", public_id=public_id, step_id=loaded.definition.form.steps[0].id)
    form = ScanForm()
    message = None
    status = 200
    if form.validate_on_submit():
        try:
            card = id_card.parse(form.scan.data or "")
        except id_card.MalformedScan as refusal:
            message, status = str(refusal.message), 400
        else:
            answers = id_card.answers_for(loaded.definition, card)
            if not answers:
                message, status = _("This procedure asks for an organisation's details: type them in."), 400
            else:
                services.save_answers(dossier, answers)
                return redirect(first)
    elif request.method == "POST":
        message, status = (form.scan.errors or [_("Scan the QR code of your ID card")])[0], 400
    return render_template(
        "kiosk/scan.html", form=form, message=message, dossier=dossier, p=loaded.definition, skip=first
    ), status


@bp.get("/dossiers/<public_id>/slip")
def slip(public_id: str) -> Response | str:
    """The slip the kiosk prints at submission: 80 mm thermal paper, or A4. Once the agency has
    accepted the dossier its receipt, in the same layouts, takes the slip's place. Fees known at
    submission and not yet paid are paid first: the payment page comes before the slip."""
    dossier = dossier_or_404(public_id)
    layout = request.args.get("layout", "80mm")
    if dossier.code is None or layout not in SLIP_LAYOUTS:
        abort(404)
    if _unpaid_at_submission(dossier):  # the fees known at submission are paid at the kiosk first
        return redirect(url_for("pay.page", public_id=public_id))
    if dossier.receipt_sha256 is not None:
        return redirect(url_for("apply.receipt", public_id=public_id, layout=SLIP_LAYOUTS[layout]))
    loaded = records.procedure_of(dossier)
    tracking = url_for("track.track", code=dossier.code, _external=True)  # never the secret
    return render_template(
        "kiosk/slip.html",
        dossier=dossier,
        p=loaded.definition,
        layout=layout,
        stylesheet=SLIP_LAYOUTS[layout],
        names={c.code: c.name for c in loaded.definition.components},
        secret=secret_for(dossier),
        qr=segno.make(tracking, error="m").svg_data_uri(scale=3, border=2),
    )


def _unpaid_at_submission(dossier: Dossier) -> bool:
    return dossier.status == Status.AWAITING_PAYMENT or any(
        c.origin == payments.AT_SUBMISSION for c in payments.due_charges(dossier)
    )


@bp.route("/dossiers/<public_id>/rating", methods=["GET", "POST"])
def rating(public_id: str) -> str | tuple[str, int]:
    dossier = dossier_or_404(public_id)
    if dossier.code is None or dossier.status in (Status.DRAFT, Status.SIGNED):
        abort(404)
    form = RatingForm()
    status = 200
    if form.validate_on_submit():
        ratings.rate(dossier, int(form.score.data or 0), channel="kiosk")
        return render_template("kiosk/thanks.html", dossier=dossier)
    if request.method == "POST":
        status = 400
    return render_template("kiosk/rating.html", form=form, dossier=dossier), status


@bp.post("/start-again")
def start_again() -> Response:
    """A person leaves (the button, or the idle timeout): the server forgets them, and the
    browser is told to drop what it kept."""
    if not StartAgainForm().validate_on_submit():
        abort(400)
    forget(session.get("dossiers", {}))
    kiosk = session.get("kiosk")
    session.clear()  # nothing of the person before, not even their language
    if kiosk:
        session["kiosk"] = True
    ended = "idle" if request.form.get("reason") == "idle" else None
    response = redirect(url_for("kiosk.entry", ended=ended), code=303)
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
