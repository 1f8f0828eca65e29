"""The dossier journey: start a dossier, fill the form step by step, attach the documents, check
the answers, submit, get the receipt; come back later by resume link or by dossier code.

Two blueprints: `apply`, the pages of one dossier (under /dossiers/<public_id>), and `track`, the
ways into a dossier that need no dossier address (start one, resume one, find one by its code)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import segno
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, Field, IntegerField, StringField, TelField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app.accounts.sessions import current_account
from app.attachments import services as attachments
from app.catalog import get_catalog
from app.catalog.loader import LoadedProcedure
from app.catalog.schema import Component, Step
from app.documents import receipt as receipt_document
from app.dossiers import records, services
from app.dossiers.access import by_secret, dossier_or_404, grant, secret_for
from app.dossiers.models import Attachment, Dossier
from app.dossiers.needs import facts_of
from app.dossiers.status import Status
from app.extensions import Form, limiter, submission_rate, upload_rate
from app.fields import identifiers
from app.fields.base import Invalid
from app.forms.applicant import Prefill, from_profile, mark_locked, with_locked
from app.forms.builder import (
    StepForm,
    answers_formdata,
    condition_texts,
    error_items,
    sibling_condition,
    step_form_class,
)
from app.forms.components import slots, stray
from app.forms.render import render_field
from app.i18n import current_locale
from app.journey import overview, submission, withdrawal
from app.notifications import contact
from app.payments import services as payments
from app.ratings import services as ratings
from app.ratings.forms import LABELS as RATING_LABELS
from app.ratings.forms import RatingForm
from app.results import services as results
from app.signing import services as signing
from app.storage import send_blob
from app.store import services as store
from app.uploads import MB, upload_limit, writer_of

bp = Blueprint("apply", __name__, url_prefix="/dossiers/<public_id>", template_folder="templates")
track_bp = Blueprint("track", __name__, template_folder="templates")
bp.add_app_template_global(sibling_condition)
bp.add_app_template_global(render_field)  # the built-in field types in Python: app/forms/render.py
bp.add_app_template_test(lambda attachment, slot: slot.holds(attachment), "in_slot")
EXPIRED = _l("This page has expired or was sent from elsewhere. Reload the page and try again.")


class UploadForm(Form):
    file = FileField(_l("File"))


class UseStoredForm(Form):
    """Which document of the applicant's store to attach (its id; the store checks it is theirs)."""

    document = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])


class SubmitForm(Form):
    pass


class WithdrawForm(Form):
    reason = TextAreaField(
        _l("Reason (optional)"),
        [Optional(), Length(max=2000, message=_l("Write at most %(max)d characters"))],
    )
    confirm = BooleanField(
        _l("I ask the agency to withdraw this dossier; it will not be processed further"),
        [InputRequired(_l("Confirm that you want to withdraw the dossier"))],
    )


def _normalised(parse: Any) -> Any:
    """A WTForms validator from an identifier parser: the field keeps the normalised value."""

    def check(form: FlaskForm, field: Field) -> None:
        if not (field.data or "").strip():
            field.data = None
            return
        try:
            field.data = parse(field.data.strip())
        except Invalid as invalid:
            raise ValidationError(str(invalid.message)) from None

    return check


class ContactForm(Form):
    """Where an anonymous applicant hears of the dossier: an email, a phone (SMS), or both."""

    email = EmailField(
        _l("Email"),
        [Length(max=255, message=_l("Write at most %(max)d characters")), _normalised(identifiers.email)],
    )
    phone = TelField(
        _l("Mobile phone (SMS)"),
        [Length(max=30, message=_l("Write at most %(max)d characters")), _normalised(identifiers.phone)],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.email.data and not self.phone.data:
            self.email.errors = [str(_l("Enter an email address or a phone number"))]
            return False
        return True


@track_bp.post("/procedures/<code>/start")
def start(code: str) -> Response:
    # The CSRF token is checked for every POST by CSRFProtect before this runs.
    loaded = get_catalog().get(code) or abort(404)
    account = current_account()  # signed in: the draft is the account's from the start
    started = services.start(loaded, locale=current_locale(), account_id=account.id if account else None)
    grant(started.dossier, started.secret)
    first = loaded.definition.form.steps[0].id
    return redirect(url_for("apply.step", public_id=started.dossier.public_id, step_id=first, new=1))


def _draft(public_id: str) -> tuple[Dossier, LoadedProcedure]:
    dossier = dossier_or_404(public_id)
    if dossier.status not in records.EDITABLE:
        abort(redirect(url_for("apply.dossier", public_id=public_id)))
    return dossier, records.procedure_of(dossier)


def _step(loaded: LoadedProcedure, step_id: str) -> tuple[int, Step]:
    steps = loaded.definition.form.steps
    index = next((i for i, step in enumerate(steps) if step.id == step_id), None)
    if index is None:
        abort(404)
    return index, steps[index]


def _after_step(dossier: Dossier, loaded: LoadedProcedure, index: int) -> str:
    if request.args.get("return") == "review":
        return url_for("apply.review", public_id=dossier.public_id)
    steps = loaded.definition.form.steps
    if index + 1 < len(steps):
        return url_for("apply.step", public_id=dossier.public_id, step_id=steps[index + 1].id)
    return url_for("apply.documents", public_id=dossier.public_id)


def _without_row(formdata: MultiDict, group: str, removed: int) -> MultiDict:
    """The posted input with one row of a repeatable group taken out and the rest renumbered."""
    pattern = re.compile(rf"^{re.escape(group)}-(\d+)-(.+)$")
    kept: MultiDict = MultiDict()
    for key, value in formdata.items(multi=True):
        match = pattern.match(key)
        if match is None:
            kept.add(key, value)
        elif (row := int(match[1])) != removed:
            kept.add(f"{group}-{row - 1 if row > removed else row}-{match[2]}", value)
    return kept


def _edit_group(form_class: type[StepForm], action: str) -> StepForm:
    """Add or remove a row of a repeatable group, without JavaScript and without saving."""
    kind, _sep, rest = action.partition(":")
    name, _sep, row = rest.partition(":")
    if kind == "remove" and row.isdigit():
        form = form_class(formdata=_without_row(request.form, name, int(row)))
    else:
        form = form_class()
    field = _group_named(form, name)
    if field is None:
        abort(400)
    if kind == "add":
        if len(field.entries) < field.spec.max_entries:
            field.append_entry()
        else:
            field.errors = [_("Add at most %(num)d entries", num=field.spec.max_entries)]
    return form


def _group_named(form: StepForm, name: str) -> Any:
    """The repeatable group `name` names: "wells", or inside an entry "wells-0-samples"."""
    parts = name.split("-")
    field = form._fields.get(parts[0])
    for index, sub in zip(parts[1::2], parts[2::2], strict=False):
        if (
            field is None
            or field.type != "GroupList"
            or not index.isdigit()
            or int(index) >= len(field.entries)
        ):
            return None
        field = field.entries[int(index)].form._fields.get(sub)
    if field is None or field.type != "GroupList" or len(parts) % 2 == 0:
        return None
    return field


def _profile(dossier: Dossier, loaded: LoadedProcedure) -> Prefill:
    """The signed-in applicant's profile for the applicant section of their own dossier; nothing
    for an anonymous one (perhaps someone else's, opened with its secret) or another account's."""
    account = current_account()
    if account is None or dossier.account_id != account.id:
        return Prefill()
    return from_profile(loaded.definition, account.particulars(), account.verified or [])


@bp.route("/steps/<step_id>", methods=["GET", "POST"])
def step(public_id: str, step_id: str) -> Response | str | tuple[str, int]:
    dossier, loaded = _draft(public_id)
    index, step = _step(loaded, step_id)
    form_class = step_form_class(loaded, step_id)
    profile = _profile(dossier, loaded)
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "continue")
        if action.startswith(("add:", "remove:")):
            form = _edit_group(form_class, action)
        else:
            # What the identity provider vouched for is kept, whatever the POST says.
            form = form_class(formdata=with_locked(step.fields, request.form, profile.locked))
            if form.validate_step(dossier.answers):
                services.save_answers(dossier, form.step_answers(dossier.answers))
                if action == "save":
                    flash(_("Your answers are saved. Use your resume link to come back later."))
                    return redirect(url_for("apply.step", public_id=public_id, step_id=step_id))
                return redirect(_after_step(dossier, loaded, index))
            status = 400
    else:
        answers = {**profile.answers, **dossier.answers, **profile.locked}
        form = form_class(formdata=answers_formdata(step, answers))
        if request.args.get("check"):
            form.meta.csrf = False
            form.validate_step(dossier.answers)
    mark_locked(form, profile.locked)
    visible = form.visible(dossier.answers)
    return render_template(
        "apply/step.html",
        summary=error_items(form, visible),
        conditions=condition_texts(loaded, step),
        dossier=dossier,
        p=loaded.definition,
        step=step,
        index=index,
        form=form,
        resume_secret=secret_for(dossier),
    ), status


@bp.get("/")
def resume_draft(public_id: str) -> Response:
    """Where a resumed draft picks up: the first step not yet answered, or the review."""
    dossier, loaded = _draft(public_id)
    for step in loaded.definition.form.steps:
        if not any(spec.name in dossier.answers for spec in step.fields):
            return redirect(url_for("apply.step", public_id=public_id, step_id=step.id))
    return redirect(url_for("apply.review", public_id=public_id))


def _documents_page(
    dossier: Dossier, loaded: LoadedProcedure, errors: dict[str, str], status: int = 200
) -> tuple[str, int]:
    wanted = slots(loaded.definition, dossier.answers)
    return render_template(
        "apply/documents.html",
        dossier=dossier,
        p=loaded.definition,
        form=UploadForm(formdata=None),
        errors=errors,
        slots=wanted,
        by_slot={s.anchor: [a for a in dossier.attachments if s.holds(a)] for s in wanted},
        stray=stray(loaded.definition, dossier.answers, dossier.attachments),
        offers=store.offers(current_account(), dossier, wanted),
    ), status


@bp.get("/documents")
def documents(public_id: str) -> tuple[str, int]:
    dossier, loaded = _draft(public_id)
    return _documents_page(dossier, loaded, {})


def _component(loaded: LoadedProcedure, component_code: str) -> Component:
    component = next((c for c in loaded.definition.components if c.code == component_code), None)
    if component is None:
        abort(404)
    return component


def _asked(dossier: Dossier, loaded: LoadedProcedure, component_code: str) -> Component:
    """A document the answers ask for (the chosen case's, the authorisation when filed by an
    authorised person): no other may be uploaded. Which entry, for a document per entry, is
    checked when the file is stored."""
    found = next(
        (s.component for s in slots(loaded.definition, dossier.answers) if s.code == component_code), None
    )
    if found is None:
        abort(404)
    return found


def _component_limit(public_id: str, component_code: str) -> int:
    _dossier, loaded = _draft(public_id)
    return _component(loaded, component_code).max_size_mb * MB


def _upload_expired(public_id: str, component_code: str) -> tuple[str, int]:
    dossier, loaded = _draft(public_id)
    return _documents_page(dossier, loaded, {_anchor(component_code, _entry()): str(EXPIRED)}, 400)


def _entry() -> int | None:
    """The group entry an upload is for (a document per entry): in the query, so that it is
    known without reading the body."""
    given = request.args.get("entry")
    return int(given) if given is not None and given.isdigit() and len(given) < 4 else None


def _anchor(component_code: str, entry: int | None) -> str:
    return f"component-{component_code}" if entry is None else f"component-{component_code}-{entry}"


@bp.post("/documents/<component_code>")
@upload_rate
@upload_limit(_component_limit, expired=_upload_expired)
def upload(public_id: str, component_code: str) -> Response | tuple[str, int]:
    dossier, loaded = _draft(public_id)
    component = _asked(dossier, loaded, component_code)
    file = UploadForm().file.data
    entry = _entry()
    anchor = _anchor(component.code, entry)
    writer = writer_of(file)
    if writer is None:
        return _documents_page(dossier, loaded, {anchor: _("Select a file")}, 400)
    try:
        attachment = attachments.store(dossier, component, writer, file.filename, entry=entry)
    except attachments.UploadRefused as refusal:
        return _documents_page(dossier, loaded, {anchor: str(refusal.message)}, refusal.status)
    flash(_("%(name)s has been attached.", name=attachment.filename))
    return redirect(url_for("apply.documents", public_id=public_id) + f"#{anchor}")


@bp.post("/documents/<component_code>/from-my-documents")
@upload_rate
def use_stored(public_id: str, component_code: str) -> Response | tuple[str, int]:
    """A document of the applicant's store instead of an upload: the same blob, no copy."""
    dossier, loaded = _draft(public_id)
    component = _asked(dossier, loaded, component_code)
    form = UseStoredForm()
    entry = _entry()
    anchor = _anchor(component.code, entry)
    if not form.validate():
        return _documents_page(dossier, loaded, {anchor: _("Choose one of your documents")}, 400)
    try:
        attachment = store.use(current_account(), dossier, component, form.document.data or 0, entry=entry)
    except store.NotOffered:
        abort(404)  # another account's document, or none: nothing to tell
    except attachments.UploadRefused as refusal:
        return _documents_page(dossier, loaded, {anchor: str(refusal.message)}, refusal.status)
    flash(_("%(name)s has been attached from your documents.", name=attachment.filename))
    return redirect(url_for("apply.documents", public_id=public_id) + f"#{anchor}")


def _attachment(dossier: Dossier, attachment_id: int) -> Attachment:
    found = attachments.attachment_of(dossier, attachment_id)
    if found is None:
        abort(404)
    return found


@bp.post("/documents/<int:attachment_id>/remove")
def remove(public_id: str, attachment_id: int) -> Response:
    dossier, _loaded = _draft(public_id)
    attachment = _attachment(dossier, attachment_id)
    attachments.remove(dossier, attachment)
    flash(_("%(name)s has been removed.", name=attachment.filename))
    return redirect(url_for("apply.documents", public_id=public_id))


@bp.get("/documents/<int:attachment_id>")
def download(public_id: str, attachment_id: int) -> Response:
    dossier = dossier_or_404(public_id)
    attachment = _attachment(dossier, attachment_id)
    return send_blob(
        attachment.sha256,
        mimetype=attachment.media_type,
        as_attachment=True,
        download_name=attachment.filename,
    )


@bp.route("/review", methods=["GET", "POST"])
@submission_rate
def review(public_id: str) -> Response | str | tuple[str, int]:
    dossier, loaded = _draft(public_id)
    state = records.completeness(dossier)
    form = SubmitForm()
    status = 200
    if form.validate_on_submit():
        if state.ok:
            try:
                submission.submit(dossier)
            except submission.NotSigned:
                return redirect(url_for("sign.sign", public_id=public_id))
            except submission.DossierChanged:
                flash(_("This dossier was changed in another window. Check it and submit again."))
                return redirect(url_for("apply.review", public_id=public_id))
            if dossier.status == Status.AWAITING_PAYMENT:
                return redirect(url_for("pay.page", public_id=public_id))
            return redirect(url_for("apply.acknowledgement", public_id=public_id))
        status = 400
    return render_template(
        "apply/review.html",
        signature=signing.current_signature(dossier) if dossier.status == Status.SIGNED else None,
        signing_required=signing.signing_required(),
        dossier=dossier,
        p=loaded.definition,
        sections=state.sections,
        facts=facts_of(loaded.definition, dossier.answers),
        paid_online=_paid_online(loaded, dossier),
        invalid=state.invalid,
        missing=state.missing,
        stray=state.stray,
        slots=slots(loaded.definition, dossier.answers),
        form=form,
    ), status


@dataclass(frozen=True)
class PaidOnline:
    amount: int  # VND: the fees charged at submission
    when: str  # the procedure's fees_paid: before_sending or after_sending


def _paid_online(loaded: LoadedProcedure, dossier: Dossier) -> PaidOnline:
    """What submitting will ask to pay online, and when (nothing when no provider is offered)."""
    items = submission.known_fees(loaded.definition, dossier.answers)
    return PaidOnline(sum(i.amount for i in items), loaded.definition.fees_paid)


@bp.get("/acknowledgement")
def acknowledgement(public_id: str) -> str:
    """At submission: what was sent, the code, that the agency will check it, the date the
    result may be expected. The receipt with its promised date comes at acceptance."""
    dossier = dossier_or_404(public_id)
    if not dossier.submitted:
        abort(404)
    loaded = records.procedure_of(dossier)
    secret = secret_for(dossier)  # None for a dossier kept in an account: found under My dossiers
    link = url_for("track.resume", secret=secret, _external=True) if secret else None
    names = {c.code: c.name for c in loaded.definition.components}
    return render_template(
        "apply/acknowledgement.html",
        dossier=dossier,
        p=loaded.definition,
        names=names,
        signed=signing.current_signature(dossier) is not None,
        submitted_at=next((e.at for e in dossier.events if e.to_status == Status.NEW), None),
        link=link,
        secret=secret,
        qr=segno.make(link, error="m").svg_data_uri(scale=3, border=2) if link else None,
        owned=dossier.account_id is not None,
        contact_form=_contact_form(dossier),
        due=sum(c.amount for c in payments.due_charges(dossier)),
    )


def _contact_form(dossier: Dossier) -> ContactForm | None:
    """The contact form, filled with what the dossier holds, for an anonymous applicant."""
    if not contact.may_leave_contact(dossier):
        return None
    return ContactForm(
        formdata=None, data={"email": dossier.applicant_email, "phone": dossier.applicant_phone}
    )


def _tracking_url(code: str) -> str:
    """For the printed receipt: the code only, never the access secret."""
    return url_for("track.track", code=code, _external=True)


RECEIPT_LAYOUTS = ("a4", "kiosk")


@bp.get("/receipt")
def receipt(public_id: str) -> str:
    """The receipt issued at acceptance, as a page to print: on A4, or `?layout=kiosk` for the
    kiosk's 80 mm thermal printer. The sealed PDF is the document of record."""
    dossier = dossier_or_404(public_id)
    if dossier.receipt_sha256 is None:  # issued when the agency accepts the dossier
        abort(404)
    layout = request.args.get("layout", "a4")
    if layout not in RECEIPT_LAYOUTS:
        abort(404)
    loaded = records.procedure_of(dossier)
    tracking = _tracking_url(dossier.code or "")
    facts = receipt_document.facts(
        dossier,
        loaded,
        tracking,
        signed=signing.current_signature(dossier) is not None,
        locale=current_locale(),
    )
    return render_template(
        "apply/receipt.html",
        dossier=dossier,
        facts=facts,
        layout=layout,
        qr=segno.make(tracking, error="m").svg_data_uri(scale=3, border=2),
    )


@bp.get("/receipt.pdf")
def receipt_pdf(public_id: str) -> Response:
    dossier = dossier_or_404(public_id)
    if dossier.receipt_sha256 is None:  # issued at acceptance; a GET never makes one
        abort(404)
    return send_blob(
        dossier.receipt_sha256,
        mimetype="application/pdf",
        download_name=f"{dossier.code}.pdf",
    )


@bp.get("/status")
def dossier(public_id: str) -> str:
    found = overview.of(dossier_or_404(public_id))
    return render_template(
        "apply/dossier.html",
        dossier=found.dossier,
        p=found.definition,
        delivery=found.delivery,
        backoffice_reference=found.backoffice_reference,
        results=found.results,
        supplements=found.supplements,
        open_supplement=found.open_supplement,
        promised=found.promised,
        charges=found.charges,
        due=found.due,
        withdrawable=withdrawal.may_withdraw(found.dossier),
        contact_form=_contact_form(found.dossier),
        **_rating_offer(found.dossier),
    )


def _summary(form: FlaskForm, *fields: Field) -> list[tuple[str, str, str]]:
    """The error summary of a small form: each field's first error, then the CSRF token's."""
    summary = [(f.id, str(f.label.text), f.errors[0]) for f in fields if f.errors]
    if form.meta.csrf and form.csrf_token.errors:
        summary.append(("", "", str(EXPIRED)))
    return summary


@bp.route("/contact", methods=["GET", "POST"])
def contact_page(public_id: str) -> Response | str | tuple[str, int]:
    """An anonymous applicant leaves (or corrects) the email and phone where the receipt and
    every change of the dossier are sent (app/notifications/contact.py)."""
    dossier = dossier_or_404(public_id)
    if dossier.account_id is not None:  # an account's dossier is told as its profile chose
        return redirect(url_for("accounts.profile"))
    if not contact.may_leave_contact(dossier):
        abort(404)
    form = ContactForm(data={"email": dossier.applicant_email, "phone": dossier.applicant_phone})
    status = 200
    if request.method == "POST":
        form = ContactForm()
        if form.validate_on_submit():
            try:
                contact.leave_contact(dossier, email=form.email.data, phone=form.phone.data)
            except contact.DossierChanged:
                flash(_("This dossier changed meanwhile. Check its status and try again."))
                return redirect(url_for("apply.dossier", public_id=public_id))
            flash(_("Thank you: the receipt and every change of this dossier will be sent there."))
            return redirect(url_for("apply.dossier", public_id=public_id))
        status = 400
    summary = _summary(form, form.email, form.phone)
    return render_template(
        "apply/contact.html",
        dossier=dossier,
        p=records.procedure_of(dossier).definition,
        form=form,
        summary=summary,
    ), status


def _rating_offer(dossier: Dossier) -> dict[str, Any]:
    """What the tracking page shows of the rating: the form once the result is given, with the
    applicant's earlier rating picked (rating again changes it)."""
    if not ratings.may_rate_online(dossier):
        return {"rating_form": None, "rating": None, "rating_labels": RATING_LABELS}
    given = ratings.rating_of(dossier)
    form = RatingForm(formdata=None, data={"score": str(given.score)} if given else None)
    return {"rating_form": form, "rating": given, "rating_labels": RATING_LABELS}


@bp.route("/rating", methods=["GET", "POST"])
def rating(public_id: str) -> Response | str | tuple[str, int]:
    """The applicant rates the service online (the kiosk's question, one store), once the result
    is given: before it, refused (409). The rating goes to the back office through the outbox."""
    dossier = dossier_or_404(public_id)
    form = RatingForm()
    status = 200
    refused = not ratings.may_rate_online(dossier)
    if refused:
        status = 409
    elif request.method == "POST":
        if form.validate_on_submit():
            try:
                ratings.rate(dossier, int(form.score.data or 0), channel="online")
            except ratings.NotRatable:  # its state changed meanwhile
                refused, status = True, 409
            else:
                flash(_("Thank you. Your rating has been sent to the agency."))
                return redirect(url_for("apply.dossier", public_id=public_id))
        else:
            status = 400
    summary = [("score", "", e) for e in form.score.errors[:1]] + _summary(form)
    return render_template(
        "apply/rating.html",
        dossier=dossier,
        p=records.procedure_of(dossier).definition,
        form=form,
        summary=summary,
        refused=refused,
    ), status


@bp.route("/withdraw", methods=["GET", "POST"])
def withdraw(public_id: str) -> Response | str | tuple[str, int]:
    """The applicant asks to withdraw the dossier (status 7): a confirmation, then the request
    goes to the agency through the outbox."""
    dossier = dossier_or_404(public_id)
    if not withdrawal.may_withdraw(dossier):
        flash(_("This dossier can no longer be withdrawn."))
        return redirect(url_for("apply.dossier", public_id=public_id))
    form = WithdrawForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                withdrawal.withdraw(dossier, form.reason.data)
            except (withdrawal.DossierChanged, withdrawal.NotWithdrawable):
                flash(_("This dossier changed meanwhile. Check its status and try again."))
                return redirect(url_for("apply.dossier", public_id=public_id))
            flash(_("Your request to withdraw the dossier has been sent to the agency."))
            return redirect(url_for("apply.dossier", public_id=public_id))
        status = 400
    summary = _summary(form, form.reason, form.confirm)
    return render_template(
        "apply/withdraw.html",
        dossier=dossier,
        p=records.procedure_of(dossier).definition,
        form=form,
        summary=summary,
    ), status


@bp.get("/results/<int:number>")
def result(public_id: str, number: int) -> Response:
    dossier = dossier_or_404(public_id)
    found = next((r for r in results.results_of(dossier) if r.number == number), None)
    if found is None:
        abort(404)
    return send_blob(
        found.sha256,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{found.code}.pdf",
    )


# Coming back to a dossier: by resume link, or by dossier code and secret.


class TrackForm(Form):
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


@track_bp.get("/resume/<secret>")
@limiter.limit("30 per minute")
def resume(secret: str) -> Response | tuple[str, int]:
    dossier = by_secret(secret)  # an owned dossier: for its signed-in owner only
    if dossier is None:
        return render_template("track/unknown.html"), 404
    grant(dossier, secret)
    return redirect(_landing(dossier.public_id, dossier.status))


@track_bp.route("/track", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def track() -> Response | str | tuple[str, int]:
    form = TrackForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"][:40]  # from the QR code on a printed receipt
    if form.validate_on_submit():
        # InputRequired: both are given once the form validates.
        code, secret = (form.code.data or "").strip(), (form.secret.data or "").strip()
        dossier = by_secret(secret)
        # Both must match: the code alone never opens a dossier, and the answer does not
        # say which of the two was wrong. A dossier kept in an account opens for its signed-in
        # owner only; to anyone else it is not found either (the page says where owned ones are).
        if dossier is not None and dossier.code == code:
            grant(dossier, secret)
            return redirect(_landing(dossier.public_id, dossier.status))
        form.code.errors = [
            *form.code.errors,
            str(_l("No dossier has this code and access code. Check both and try again.")),
        ]
        return _page(form), 404
    return _page(form), 400 if form.errors else 200


def _page(form: TrackForm) -> str:
    summary = _summary(form, form.code, form.secret)
    return render_template("track/form.html", form=form, summary=summary)
