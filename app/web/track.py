"""Coming back to a dossier: by resume link, or by dossier code and secret."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from app.dossiers import records
from app.dossiers.status import Status
from app.extensions import limiter
from app.web.access import grant

bp = Blueprint("track", __name__)


class TrackForm(FlaskForm):
    code = StringField(_l("Dossier code"), [InputRequired(_l("Enter the dossier code")), Length(max=40)])
    secret = StringField(
        _l("Access code"),
        [InputRequired(_l("Enter the access code from your receipt")), Length(max=100)],
        description=_l("Printed on your receipt, below the QR code."),
    )


def _landing(dossier_public_id: str, status: str) -> str:
    if status in (Status.DRAFT, Status.SIGNED):
        return url_for("apply.resume_draft", public_id=dossier_public_id)
    return url_for("apply.dossier", public_id=dossier_public_id)


@bp.get("/resume/<secret>")
@limiter.limit("30 per minute")
def resume(secret: str) -> Response | tuple[str, int]:
    dossier = records.find_by_secret(secret)
    if dossier is None:
        return render_template("track/unknown.html"), 404
    grant(dossier, secret)
    return redirect(_landing(dossier.public_id, dossier.status))


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def track() -> Response | str | tuple[str, int]:
    form = TrackForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"][:40]  # from the QR code on a printed receipt
    if form.validate_on_submit():
        dossier = records.find_by_secret(form.secret.data.strip())
        # Both must match: the code alone never opens a dossier, and the answer does not
        # say which of the two was wrong.
        if dossier is not None and dossier.code == form.code.data.strip():
            grant(dossier, form.secret.data.strip())
            return redirect(_landing(dossier.public_id, dossier.status))
        form.code.errors.append(
            str(_l("No dossier has this code and access code. Check both and try again."))
        )
        return _page(form), 404
    return _page(form), 400 if form.errors else 200


def _page(form: TrackForm) -> str:
    summary = [(f.id, str(f.label.text), f.errors[0]) for f in (form.code, form.secret) if f.errors]
    return render_template("track/form.html", form=form, summary=summary)
