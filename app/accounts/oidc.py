"""Sign-in with OpenID Connect (VNeID, the national portal's SSO) through authlib's Flask client.

The authorization code flow with PKCE (S256), a state and a nonce kept in the signed session
cookie by authlib; the provider's discovery document read at the first use; the id_token's
signature checked against the provider's JWKS and its iss, aud, exp and nonce checked by
authlib (authlib.oidc.core.CodeIDToken). Off unless OPENDVC_OIDC_ISSUER is set.

The client secret is a SecretStr: its value is handed to authlib and written nowhere else. The
id_token is kept in the session cookie for the provider's logout (id_token_hint) only; it is
never logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import phonenumbers
import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from joserfc.errors import JoseError

from app.config import Settings

PROVIDER = "provider"
EXTENSION = "opendvc.oidc"


def init_app(app: Flask) -> None:
    settings: Settings = app.config["OPENDVC"]
    if not settings.OIDC_ISSUER:
        return
    oauth = OAuth(app)
    secret = settings.OIDC_CLIENT_SECRET.get_secret_value() if settings.OIDC_CLIENT_SECRET else None
    oauth.register(
        PROVIDER,
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=secret,
        server_metadata_url=f"{settings.OIDC_ISSUER}/.well-known/openid-configuration",
        client_kwargs={
            "scope": " ".join(settings.OIDC_SCOPES),
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
            "default_timeout": settings.OIDC_TIMEOUT_SECONDS,
        },
    )
    app.extensions[EXTENSION] = oauth


def configured() -> bool:
    return EXTENSION in current_app.extensions


def client() -> Any:
    """authlib's FlaskOAuth2App for the configured provider."""
    return current_app.extensions[EXTENSION].create_client(PROVIDER)


@dataclass(frozen=True)
class Failure:
    """Why a sign-in with the provider did not happen, as the applicant is told."""

    title: Any
    message: Any
    status: int


DENIED = Failure(
    _l("Sign-in cancelled"),
    _l("The identity provider did not sign you in (you may have cancelled). Nothing was saved."),
    400,
)
EXPIRED = Failure(
    _l("The sign-in could not be completed"),
    _l("This sign-in has expired or was started elsewhere. Start again from the sign-in page."),
    400,
)
REFUSED = Failure(
    _l("The sign-in could not be completed"),
    _l("The identity provider refused to complete this sign-in (a link used twice?). Start again."),
    400,
)
UNTRUSTED = Failure(
    _l("The sign-in could not be verified"),
    _l("The identity provider's answer could not be verified (it may have expired). Start again."),
    400,
)
UNREACHABLE = Failure(
    _l("The identity provider cannot be reached"),
    _l("The identity provider did not answer. Try again in a few minutes, or sign in another way."),
    502,
)


def failure_of(error: Exception) -> Failure | None:
    """The page an error of the flow gets; None: not one of the flow's."""
    if isinstance(error, MismatchingStateError):
        return EXPIRED
    if isinstance(error, OAuthError):
        return DENIED if error.error in ("access_denied", "login_required", "consent_required") else REFUSED
    if isinstance(error, requests.RequestException):
        return UNREACHABLE
    if isinstance(error, (JoseError, AuthlibBaseError, ValueError, KeyError)):
        return UNTRUSTED
    return None


def particulars(claims: dict[str, Any]) -> dict[str, str]:
    """Our particulars from the id_token's claims, as OPENDVC_OIDC_CLAIMS maps them (empty and
    non-text values left out)."""
    mapping: dict[str, str] = current_app.config["OPENDVC"].OIDC_CLAIMS
    found: dict[str, str] = {}
    for claim, ours in mapping.items():
        value = claims.get(claim)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            found[ours] = str(value).strip()[:255]
    # An address or number the provider itself says it has not verified is not taken.
    if claims.get("email_verified") is False:
        found.pop("email", None)
    if claims.get("phone_number_verified") is False:
        found.pop("phone", None)
    if "email" in found:
        found["email"] = found["email"].lower()
    if "phone" in found:
        try:
            number = phonenumbers.parse(found["phone"], "VN")
            valid = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            valid = False
        if valid:
            found["phone"] = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        else:
            del found["phone"]
    return found
