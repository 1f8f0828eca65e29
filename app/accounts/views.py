"""The account pages: register, confirm the address, sign in (password or the identity provider),
reset a forgotten password, sign out (here, everywhere, at the provider), the profile.

Registered from create_app (app/__init__.py); the package itself is imported by the layers above
for the signed-in account and must not pull its pages in with it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.accounts import oidc, services
from app.accounts.forms import (
    ActionForm,
    ChangePasswordForm,
    ConfirmForm,
    IdentifierForm,
    NewPasswordForm,
    ProfileForm,
    RegisterForm,
    SignInForm,
)
from app.accounts.models import Account
from app.accounts.sessions import current_account, sign_in, sign_out, sign_out_everywhere
from app.extensions import limiter
from app.i18n import current_locale

bp = Blueprint("accounts", __name__, url_prefix="/account", template_folder="templates")
ID_TOKEN = "oidc_id_token"  # noqa: S105 (a session key's name)  the provider's id_token, for its logout (id_token_hint)
# Per client address, shared by every form that guesses at accounts (OPENDVC_RATE_LIMIT_SIGN_IN).
sign_in_rate = limiter.shared_limit(
    lambda: current_app.config["OPENDVC"].RATE_LIMIT_SIGN_IN, scope="sign-in", methods=["POST"]
)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    oidc.init_app(app)
    app.jinja_env.globals.update(current_account=current_account, oidc_configured=oidc.configured)


def _local() -> None:
    if not current_app.config["OPENDVC"].LOCAL_ACCOUNTS:
        abort(404)


def _link_for(purpose: str, token: str) -> str:
    endpoint = "accounts.verify" if purpose == services.VERIFY else "accounts.reset"
    return url_for(endpoint, token=token, _external=True)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or any(c in target for c in "\\\t\r\n ")
    ):
        return url_for("accounts.profile")
    return target


def _refuse(form: FlaskForm, error: services.AccountError, default: str) -> None:
    """Show a service's refusal on the field it names (or `default`)."""
    field = form._fields.get(error.field or default) or form._fields[default]
    field.errors = [*field.errors, error.message]


def account_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            return redirect(url_for("accounts.sign_in_page", next=request.path))
        return view(*args, **kwargs)

    return wrapped


def _message(title: str, message: str, status: int = 200, **links: Any) -> tuple[str, int]:
    return render_template("accounts/message.html", title=title, message=message, **links), status


@bp.route("/sign-in", methods=["GET", "POST"])
@sign_in_rate
def sign_in_page() -> ResponseReturnValue:
    settings = current_app.config["OPENDVC"]
    if not settings.LOCAL_ACCOUNTS and not oidc.configured():
        abort(404)
    form = SignInForm()
    status = 200
    unverified = False
    if request.method == "POST":
        _local()
        status = 400
        if form.validate_on_submit():
            outcome, account = services.sign_in(form.identifier.data or "", form.password.data or "")
            if outcome is services.SignIn.OK and account is not None:
                sign_in(account)
                return redirect(_safe_next(request.args.get("next")))
            if outcome is services.SignIn.LOCKED:
                refusal = _("Too many wrong passwords: this account is locked for 15 minutes.")
                status = 429
            elif outcome is services.SignIn.UNVERIFIED:
                refusal = _("Confirm your email address first: open the link we sent you.")
                unverified, status = True, 403
            else:
                refusal = _("This address or number and this password do not match an account.")
                status = 401
            form.password.errors = [*form.password.errors, refusal]
    return render_template(
        "accounts/sign_in.html",
        form=form,
        local=settings.LOCAL_ACCOUNTS,
        provider=settings.OIDC_NAME if oidc.configured() else None,
        action=ActionForm(),
        unverified=unverified,
    ), status


@bp.route("/register", methods=["GET", "POST"])
@sign_in_rate
def register() -> ResponseReturnValue:
    _local()
    form = RegisterForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                account = services.register(
                    identifier=form.identifier.data or "",
                    password=form.password.data or "",
                    kind=form.kind.data or "",
                    name=form.name.data or "",
                    tax_code=(form.tax_code.data or "").strip() or None,
                    representative_name=(form.representative_name.data or "").strip() or None,
                    locale=current_locale(),
                    link_for=_link_for,
                )
            except services.AccountError as error:
                _refuse(form, error, "identifier")
            else:
                if account.email:
                    return _message(
                        _("Check your email"),
                        _(
                            "We have sent a link to %(address)s. Open it to confirm your address, "
                            "then sign in.",
                            address=account.email,
                        ),
                    )
                flash(_("Your account is ready. Sign in with your phone number and password."))
                return redirect(url_for("accounts.sign_in_page"))
        return render_template("accounts/register.html", form=form), 400
    return render_template("accounts/register.html", form=form)


@bp.get("/verify/<token>")
def verify(token: str) -> str:
    """The link in the mail: a button, since a GET never writes (and mail scanners follow links)."""
    return render_template("accounts/confirm.html", form=ConfirmForm(), token=token)


@bp.post("/verify/<token>")
@sign_in_rate
def verify_post(token: str) -> ResponseReturnValue:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    outcome, _account = services.verify_email(
        token[:100], form.password.data or "", signed_in=current_account()
    )
    if outcome is services.Link.NOT_YOURS:
        form.password.errors = [
            _(
                "This is not the password of the account this address was given to. If you did not ask "
                "for this account, ignore the email: the address stays unconfirmed."
            )
        ]
        return render_template("accounts/confirm.html", form=form, token=token), 400
    if outcome is services.Link.OK:
        flash(_("Your email address is confirmed. You can sign in."))
        return redirect(url_for("accounts.sign_in_page"))
    return _link_refused(outcome, resend=True)


def _link_refused(outcome: services.Link, *, resend: bool) -> tuple[str, int]:
    if outcome is services.Link.EXPIRED:
        message = _("This link has expired.")
    elif outcome is services.Link.USED:
        message = _("This link has been used already: each link works once.")
    else:
        message = _("This link is not valid. Check that you copied all of it.")
    if resend:
        return _message(_("The link does not work"), message, 400, resend=True)
    return _message(_("The link does not work"), message, 400, forgot=True)


@bp.route("/verify", methods=["GET", "POST"])
@sign_in_rate
def resend() -> ResponseReturnValue:
    _local()
    form = IdentifierForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("accounts/resend.html", form=form), 400
        try:
            services.resend_verification(form.identifier.data or "", _link_for)
        except services.AccountError as error:
            _refuse(form, error, "identifier")
            return render_template("accounts/resend.html", form=form), 503
        return _message(
            _("Check your email"),
            _("If an account with this address is waiting for confirmation, a new link is on its way."),
        )
    return render_template("accounts/resend.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
@sign_in_rate
def forgot() -> ResponseReturnValue:
    _local()
    form = IdentifierForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("accounts/forgot.html", form=form), 400
        try:
            services.request_reset(form.identifier.data or "", _link_for)
        except services.AccountError as error:
            _refuse(form, error, "identifier")
            return render_template("accounts/forgot.html", form=form), 503
        return _message(
            _("Check your email"),
            _(
                "If an account has this address, a link to choose a new password is on its way. "
                "It works once."
            ),
        )
    return render_template("accounts/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> ResponseReturnValue:
    _local()
    token = token[:100]
    form = NewPasswordForm()
    if request.method == "GET":
        state = services.reset_link_state(token)
        if state is not services.Link.OK:
            return _link_refused(state, resend=False)
        return render_template("accounts/reset.html", form=form)
    if not form.validate_on_submit():
        return render_template("accounts/reset.html", form=form), 400
    try:
        outcome, _account = services.reset_password(token, form.password.data or "")
    except services.AccountError as error:
        _refuse(form, error, "password")
        return render_template("accounts/reset.html", form=form), 400
    if outcome is not services.Link.OK:
        return _link_refused(outcome, resend=False)
    session.pop(ID_TOKEN, None)
    sign_out()
    flash(
        _(
            "Your password is changed and every session of your account has ended. "
            "Sign in with the new password."
        )
    )
    return redirect(url_for("accounts.sign_in_page"))


@bp.post("/sign-out")
def sign_out_page() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    return _signed_out(everywhere=False)


@bp.post("/sign-out-everywhere")
@account_required
def sign_out_everywhere_page() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    return _signed_out(everywhere=True)


def _signed_out(*, everywhere: bool) -> Response:
    """End the session here (or every one), then at the identity provider when it signed us in."""
    account = current_account()
    id_token = session.pop(ID_TOKEN, None)
    if everywhere and account is not None:
        sign_out_everywhere(account)
    else:
        sign_out()
    if isinstance(id_token, str) and oidc.configured():
        try:
            end = oidc.client().load_server_metadata().get("end_session_endpoint")
        except Exception as error:
            if oidc.failure_of(error) is None:
                raise
            end = None
        if end:
            done = url_for("accounts.signed_out", _external=True)
            response: Response = oidc.client().logout_redirect(
                post_logout_redirect_uri=done, id_token_hint=id_token
            )
            return response
    flash(_("You are signed out everywhere.") if everywhere else _("You are signed out."))
    return redirect(url_for("catalog.index"))


@bp.get("/signed-out")
def signed_out() -> Response:
    """Where the identity provider sends the browser back after its own logout."""
    flash(_("You are signed out, at the identity provider too."))
    return redirect(url_for("catalog.index"))


@bp.post("/oidc/start")
def oidc_start() -> ResponseReturnValue:
    if not oidc.configured():
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    settings = current_app.config["OPENDVC"]
    session["oidc_next"] = _safe_next(request.args.get("next"))
    extra = {"acr_values": settings.OIDC_ACR_VALUES} if settings.OIDC_ACR_VALUES else {}
    try:
        response: Response = oidc.client().authorize_redirect(
            url_for("accounts.oidc_callback", _external=True), ui_locales=current_locale(), **extra
        )
    except Exception as error:
        failure = oidc.failure_of(error)
        if failure is None:
            raise
        return _message(str(failure.title), str(failure.message), failure.status)
    return response


@bp.get("/oidc/callback")
def oidc_callback() -> ResponseReturnValue:
    if not oidc.configured():
        abort(404)
    settings = current_app.config["OPENDVC"]
    try:
        token = oidc.client().authorize_access_token()
        claims = token.get("userinfo")
        if not claims or not claims.get("sub"):
            raise ValueError("no id_token")
    except Exception as error:
        failure = oidc.failure_of(error)
        if failure is None:
            raise
        current_app.logger.warning("sign-in with the identity provider failed: %s", type(error).__name__)
        return _message(str(failure.title), str(failure.message), failure.status, sign_in=True)
    account = services.from_provider(settings.OIDC_ISSUER, str(claims["sub"]), oidc.particulars(dict(claims)))
    sign_in(account)
    session[ID_TOKEN] = token.get("id_token")
    return redirect(_safe_next(session.pop("oidc_next", None)))


def _profile_page(
    account: Account, form: ProfileForm, password_form: ChangePasswordForm, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "accounts/profile.html",
        account=account,
        form=form,
        password_form=password_form,
        verified=set(account.verified or []),
        action=ActionForm(),
    ), status


@bp.route("/profile", methods=["GET", "POST"])
@account_required
def profile() -> ResponseReturnValue:
    account = current_account()
    assert account is not None
    if request.method == "GET":
        form = ProfileForm(obj=account)
        return _profile_page(account, form, ChangePasswordForm(formdata=None))
    form = ProfileForm()
    if not form.validate_on_submit():
        return _profile_page(account, form, ChangePasswordForm(formdata=None), 400)

    def text(value: str | None) -> str | None:
        return (value or "").strip() or None

    wanted = services.Profile(
        name=text(form.name.data),
        personal_id=text(form.personal_id.data),
        kind=form.kind.data or "citizen",
        tax_code=text(form.tax_code.data),
        representative_name=text(form.representative_name.data),
        address=text(form.address.data),
        email=text(form.email.data),
        locale=form.locale.data if form.locale.data in ("vi", "en") else "vi",
        notify_email=bool(form.notify_email.data),
        notify_sms=bool(form.notify_sms.data),
        notify_app=bool(form.notify_app.data),
    )
    try:
        sent = services.update_profile(account, wanted, _link_for)
    except services.AccountError as error:
        _refuse(form, error, "name")
        return _profile_page(account, form, ChangePasswordForm(formdata=None), 400)
    if sent:
        flash(
            _(
                "Your profile is saved. Open the link we sent to %(address)s to confirm it.",
                address=account.email,
            )
        )
    else:
        flash(_("Your profile is saved."))
    return redirect(url_for("accounts.profile"))


@bp.post("/profile/password")
@account_required
@sign_in_rate
def change_password() -> ResponseReturnValue:
    account = current_account()
    assert account is not None
    password_form = ChangePasswordForm()
    if password_form.validate_on_submit():
        try:
            services.change_password(
                account, password_form.current.data or "", password_form.password.data or ""
            )
        except services.AccountError as error:
            _refuse(password_form, error, "password")
        else:
            sign_in(account)  # a new session here; every other one has ended
            flash(_("Your password is changed. Every other session of your account has ended."))
            return redirect(url_for("accounts.profile"))
    return _profile_page(account, ProfileForm(obj=account, formdata=None), password_form, 400)
