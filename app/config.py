"""Settings: defaults here, then `instance/config.py`, then `OPENDVC_*` environment variables
(then, in tests, the test's own values). pydantic-settings reads the environment; the instance
file is a settings source of its own.

Every setting is checked at start-up; a wrong one stops the app with a message naming it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import runpy
import secrets
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

PACKAGE_DIR = Path(__file__).resolve().parent
ENV_PREFIX = "OPENDVC_"
# The instance folder and environment `load_settings` is reading: a settings source is built
# by a class method, which takes no arguments of ours.
_READING: ContextVar[tuple[Path | None, Mapping[str, str]]] = ContextVar("settings being read")


class ConfigError(RuntimeError):
    """Start-up stops: a setting is wrong."""


class AgencyTrust(BaseModel):
    """Whose signature on a result a back office's agency stands behind: its roots, and
    optionally the only issuers or subjects (RFC 4514, e.g. "CN=Sở TN&MT Hà Nội,O=…,C=VN")."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    roots: list[Path] = Field(min_length=1)
    issuers: list[str] = []
    subjects: list[str] = []


# Lists come from the environment comma-separated and JSON objects as JSON: our validators below
# read them (and word the errors), not pydantic-settings' own JSON decoding.
Names = Annotated[list[str], NoDecode]
Paths = Annotated[list[Path], NoDecode]


_HHMM = r"([01]\d|2[0-3]):[0-5]\d"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, case_sensitive=True, extra="forbid", frozen=True, validate_default=False
    )

    ENV: Literal["development", "production"] = "development"
    SECRET_KEY: str | None = None
    DATABASE_URL: str = ""  # empty: SQLite in the instance folder
    CATALOG_DIR: Path = PACKAGE_DIR / "catalog" / "procedures"
    BLOB_DIR: Path | None = None  # None: instance/blobs
    # Compiled definitions, kept by each file's content hash (None: instance/catalog-cache), and
    # how often a process looks for definition files changed on disk (0: never by itself).
    CATALOG_CACHE_DIR: Path | None = None
    CATALOG_RELOAD_SECONDS: int = Field(default=5, ge=0, le=24 * 3600)
    # Where blobs live: "local", the BLOB_DIR folder; "s3", S3-compatible object storage (below).
    BLOB_STORE: Literal["local", "s3"] = "local"
    S3_ENDPOINT_URL: str = ""  # empty: AWS's own
    S3_BUCKET: str = ""
    S3_PREFIX: str = ""  # keys start with it, so that one bucket can serve several portals
    S3_REGION: str = "us-east-1"
    S3_ACCESS_KEY_ID: str = ""
    S3_SECRET_ACCESS_KEY: SecretStr | None = None
    # State shared by several processes and machines: server-side sessions, and rate limits unless
    # RATE_LIMIT_STORAGE names another store. Empty: sessions in the database, limits in memory.
    REDIS_URL: str = ""
    DEFAULT_LOCALE: Literal["vi", "en"] = "vi"
    TIMEZONE: str = "Asia/Ho_Chi_Minh"
    # The agency's working hours (giờ hành chính), "HH:MM-HH:MM" in Viet Nam's time: a dossier
    # submitted outside them, or on a day off, is received the next working morning.
    WORKING_HOURS: str = Field(
        default="07:30-17:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"
    )
    # On top of python-holidays: days off the government adds in a year (a Tết arrangement) and
    # the compensatory working days it sets (a Saturday worked in exchange), as YYYY-MM-DD.
    DAYS_OFF: Annotated[list[date], NoDecode] = []
    WORKING_DAYS: Annotated[list[date], NoDecode] = []
    # The whole of one dossier's attachments, on top of each component's own limit.
    DOSSIER_MAX_TOTAL_MB: int = Field(default=500, ge=1, le=20_000)
    SESSION_COOKIE_SECURE: bool = False  # production: always true
    # Where the public reaches the portal (scheme, host and port, no path). Every absolute link
    # (resume link, QR codes, the signing agent's address, API links) is built on it, never on
    # the request's Host header; requests for any other host are refused.
    PUBLIC_URL: str = "http://127.0.0.1:5000"
    # More host names the portal answers to (e.g. the one a health check uses); links still
    # follow PUBLIC_URL. In development localhost and 127.0.0.1 are always allowed.
    ALLOWED_HOSTS: Names = []
    # Staff sessions end after this long without a request, and in any case this long after sign-in.
    STAFF_IDLE_MINUTES: int = Field(default=30, ge=1, le=24 * 60)
    STAFF_SESSION_HOURS: int = Field(default=12, ge=1, le=7 * 24)
    # Applicant sessions (app.accounts), likewise.
    ACCOUNT_IDLE_MINUTES: int = Field(default=60, ge=1, le=7 * 24 * 60)
    ACCOUNT_SESSION_HOURS: int = Field(default=7 * 24, ge=1, le=90 * 24)
    # Local accounts (email or phone and a password); off: only the identity provider signs in.
    LOCAL_ACCOUNTS: bool = True
    ACCOUNT_MIN_PASSWORD: int = Field(default=10, ge=8, le=128)
    ACCOUNT_VERIFY_HOURS: int = Field(default=48, ge=1, le=30 * 24)  # an email verification link
    ACCOUNT_RESET_MINUTES: int = Field(default=60, ge=5, le=24 * 60)  # a password reset link
    # Sign-in with OpenID Connect (VNeID, the national portal's SSO): off unless OIDC_ISSUER is
    # set. The issuer's /.well-known/openid-configuration is read at the first sign-in.
    OIDC_ISSUER: str | None = None
    OIDC_CLIENT_ID: str | None = None
    OIDC_CLIENT_SECRET: SecretStr | None = None  # None: a public client (PKCE only)
    OIDC_SCOPES: Names = ["openid", "profile", "email", "phone"]
    OIDC_ACR_VALUES: str | None = None  # e.g. the assurance level the provider names
    # Provider claim -> our particular (name, personal_id, tax_code, email, phone, kind).
    OIDC_CLAIMS: Annotated[dict[str, str], NoDecode] = {
        "name": "name",
        "email": "email",
        "phone_number": "phone",
    }
    OIDC_NAME: str = "VNeID"  # the sign-in button's label
    OIDC_TIMEOUT_SECONDS: float = Field(default=10, gt=0, le=60)
    # Outgoing mail (app.mail): notifications, verification and reset links. No SMTP_HOST: mail
    # is written to the log instead (development); SMTP_TLS: "starttls", "ssl" or "none".
    SMTP_HOST: str | None = None
    SMTP_PORT: int = Field(default=25, ge=1, le=65535)
    SMTP_TLS: Literal["none", "starttls", "ssl"] = "none"
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: SecretStr | None = None
    SMTP_FROM: str = "OpenDVC <no-reply@localhost>"
    SMTP_TIMEOUT_SECONDS: float = Field(default=10, gt=0, le=120)
    # Notifications to applicants (app.notifications), through the outbox. The channels this
    # deployment sends on ("email", "sms", "message-app"; an applicant chooses among them), and
    # the sender of each: an `opendvc.senders` entry point ("email" is app.mail; "sms-log" and
    # "message-app-log" only write the masked number and the text to the log, until the
    # province's gateway has its sender). Sender name -> its options (its own typed schema).
    NOTIFICATION_CHANNELS: Names = ["email", "sms", "message-app"]
    EMAIL_SENDER: str = "email"
    SMS_SENDER: str = "sms-log"
    MESSAGE_APP_SENDER: str = "message-app-log"
    SENDER_OPTIONS: Annotated[dict[str, dict[str, Any]], NoDecode] = {}
    # Fees paid online (docs/payments.md): the providers offered to applicants, in order, each an
    # `opendvc.payments` entry point ("demo" pays at once and is refused in production; empty:
    # fees are shown, not paid online); provider name -> its options (its own typed schema).
    PAYMENT_PROVIDERS: Names = ["demo"]
    PAYMENT_OPTIONS: Annotated[dict[str, dict[str, Any]], NoDecode] = {}
    # A payment started and not settled by a notification after this is asked about (query);
    # one the provider still knows nothing of after PAYMENT_EXPIRE_MINUTES expires.
    PAYMENT_RECONCILE_AFTER_SECONDS: Annotated[int, Field(ge=0)] = 300
    PAYMENT_EXPIRE_MINUTES: Annotated[int, Field(ge=1)] = 60
    # Signing. Only a validly signed dossier can be submitted unless SIGNING_REQUIRED is off.
    SIGNING_REQUIRED: bool = True
    SIGNING_PROVIDERS: Names = ["pkcs12", "external", "upload"]  # what applicants are offered
    SIGNING_TRUST_ROOTS: Paths = []  # empty: the demo PKI's root, when it exists
    SIGNING_TSA_URL: str | None = None  # set: signatures are PAdES B-T
    SIGNING_EMBED_REVOCATION: bool = False  # with a TSA: B-LT
    SIGNING_LTA: bool = False  # with a TSA: B-LTA
    # Where OCSP, CRL and issuer certificates may be fetched from (URL prefixes); none: no fetching.
    SIGNING_FETCH_URL_PREFIXES: Names = []
    # The certificate against the applicant in the form: off, warn (shown and recorded), require.
    SIGNER_MATCH: Literal["off", "warn", "require"] = "warn"
    # Back office name -> the trust its agencies' result signatures are checked against. A back
    # office without one cannot return signed results (SIGNING_TRUST_ROOTS is for applicants).
    AGENCY_TRUST: Annotated[dict[str, AgencyTrust], NoDecode] = {}
    SEAL_PKCS12: Path | None = None  # empty: the demo PKI's seal, when it exists
    SEAL_PASSPHRASE: str | None = None  # from the environment; never written anywhere
    PKCS11_MODULE: Path | None = None
    PKCS11_TOKEN_LABEL: str | None = None
    PKCS11_KEY_LABEL: str | None = None
    # Signer provider name -> its options (its own typed schema), e.g. {"pkcs11": {"module": …}};
    # the PKCS11_* and SEAL_* settings above are the defaults of the pkcs11 and seal providers.
    SIGNING_OPTIONS: Annotated[dict[str, dict[str, Any]], NoDecode] = {}
    # Drafts (and signed but never submitted dossiers) untouched this long are deleted by
    # `flask --app wsgi dossiers purge-drafts`: personal data is not kept without a purpose.
    DRAFT_RETENTION_DAYS: int = Field(default=30, ge=1, le=3650)
    # The blob sweep (`flask --app wsgi blobs sweep`, docs/retention.md) leaves alone a blob stored
    # or reused this recently: an upload reusing stored bytes commits its row within one request.
    BLOB_SWEEP_GRACE_SECONDS: int = Field(default=3600, ge=0, le=30 * 24 * 3600)
    # and a temporary upload file written to this recently (an upload still streaming in).
    BLOB_TMP_GRACE_SECONDS: int = Field(default=24 * 3600, ge=60, le=30 * 24 * 3600)
    EXTERNAL_SIGNING_TTL_MINUTES: int = Field(default=15, ge=1, le=24 * 60)
    # Delivery to the back office.
    BACKOFFICE_DEFAULT: str = "filesystem"
    BACKOFFICE_ROUTES: Annotated[dict[str, str], NoDecode] = {}  # procedure code -> adapter name
    BACKOFFICE_DROP_DIR: Path | None = None  # filesystem adapter; empty: instance/backoffice-drop
    DELIVERY_MAX_ATTEMPTS: int = Field(default=10, ge=1, le=1000)
    DELIVERY_MAX_HOURS: int = Field(default=48, ge=1, le=24 * 30)
    DELIVERY_BACKOFF_SECONDS: int = Field(default=30, ge=1, le=3600)
    # A worker's hold on a delivery; longer than any delivery takes. A worker that dies loses it.
    DELIVERY_LEASE_SECONDS: int = Field(default=300, ge=1, le=24 * 3600)
    # The longest wait a back office's Retry-After (on 409, 429, 503) can impose on a retry.
    DELIVERY_RETRY_AFTER_MAX_SECONDS: int = Field(default=3600, ge=1, le=24 * 3600)
    # Adapter name -> that adapter's options (its own typed schema), e.g. {"http": {"url": …}}.
    BACKOFFICE_OPTIONS: Annotated[dict[str, dict[str, Any]], NoDecode] = {}
    # Adapter name -> HMAC secret for status events.
    BACKOFFICE_SECRETS: Annotated[dict[str, str], NoDecode] = {}
    # How long a signed link to a dossier's file (the national portal's DuongDanTaiTepTin,
    # GET /api/v1/files/<token>) can be fetched after the delivery that gave it.
    FILE_LINK_HOURS: int = Field(default=7 * 24, ge=1, le=90 * 24)
    DELIVERY_IN_PROCESS: bool = False  # make run: the worker runs as a thread of the server
    RATE_LIMIT_STORAGE: str = "memory://"  # several processes: a shared store, e.g. redis://host
    RATE_LIMITS_ENABLED: bool = True
    # Per client address (see TRUSTED_PROXIES), each shared by every form of its kind, in the
    # notation of the `limits` package ("60 per minute; 600 per hour"): files uploaded (a dossier's
    # documents, a supplement's), signing attempts (every way to sign), dossiers submitted.
    RATE_LIMIT_UPLOADS: str = "60 per minute; 600 per hour"
    RATE_LIMIT_SIGNING: str = "20 per minute; 100 per hour"
    RATE_LIMIT_SUBMISSIONS: str = "10 per minute; 60 per hour"
    # Claims of a dossier into an account (code or id and the secret: a guess to slow down).
    RATE_LIMIT_CLAIMS: str = "10 per minute; 60 per hour"
    # Applicant sign-in attempts (and registrations, reset requests), per client address.
    RATE_LIMIT_SIGN_IN: str = "10 per minute; 100 per hour"
    # Virus scanning of uploads: "none", or a scanner of the opendvc.scanners entry points
    # ("clamd": ClamAV's daemon), with its options, e.g. {"clamd": {"socket": "/run/clamav/clamd.ctl"}}.
    SCANNER: str = "none"
    SCANNER_OPTIONS: Annotated[dict[str, dict[str, Any]], NoDecode] = {}
    # When the scanner cannot be reached or fails: refuse the upload (asking to try again later),
    # or let it through unscanned (logged as a warning).
    SCANNER_ON_FAILURE: Literal["refuse", "allow"] = "refuse"
    # A kiosk terminal at a reception desk (OPENDVC_KIOSK=true): every page in the kiosk's touch
    # layout, and after this long without a touch (a warning with a countdown for the last
    # KIOSK_WARNING_SECONDS) the session's dossiers are forgotten and unsubmitted drafts deleted.
    KIOSK: bool = False
    KIOSK_IDLE_SECONDS: int = Field(default=120, ge=20, le=3600)
    KIOSK_WARNING_SECONDS: int = Field(default=30, ge=5, le=300)
    # Reverse proxies in front of the portal that set X-Forwarded-For/-Proto/-Host: how many to
    # trust. 0 (no proxy): the client address is the connection's, whatever headers say.
    TRUSTED_PROXIES: int = Field(default=0, ge=0, le=5)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Highest first: the values given (a test's), the environment, the instance file of the
        folder `load_settings` is reading (none otherwise); the defaults come last of all."""
        instance_path, environ = _READING.get((None, os.environ))
        return (
            init_settings,
            Environment(settings_cls, environ),
            *([InstanceFile(settings_cls, instance_path / "config.py")] if instance_path else []),
        )

    @field_validator(
        "SIGNING_PROVIDERS",
        "SIGNING_TRUST_ROOTS",
        "SIGNING_FETCH_URL_PREFIXES",
        "ALLOWED_HOSTS",
        "OIDC_SCOPES",
        "NOTIFICATION_CHANNELS",
        "PAYMENT_PROVIDERS",
        "DAYS_OFF",
        "WORKING_DAYS",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, v: object) -> object:
        return [part.strip() for part in v.split(",") if part.strip()] if isinstance(v, str) else v

    @field_validator(
        "BACKOFFICE_ROUTES",
        "BACKOFFICE_OPTIONS",
        "BACKOFFICE_SECRETS",
        "SIGNING_OPTIONS",
        "AGENCY_TRUST",
        "SCANNER_OPTIONS",
        "OIDC_CLAIMS",
        "SENDER_OPTIONS",
        "PAYMENT_OPTIONS",
        mode="before",
    )
    @classmethod
    def _json_object(cls, v: object) -> object:
        """From the environment these come as JSON objects."""
        if not isinstance(v, str):
            return v
        try:
            return json.loads(v)
        except ValueError as exc:
            raise ValueError(f"not a JSON object: {exc}") from None

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_url(cls, v: str) -> str:
        if not v:
            return v
        parts = urlsplit(v)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("a redis://, rediss:// or unix:// URL, e.g. redis://127.0.0.1:6379/0")
        try:
            parts.port  # noqa: B018 (urlsplit checks the port when asked for it)
        except ValueError:
            raise ValueError("the port must be a number from 1 to 65535") from None
        if parts.scheme != "unix" and not parts.hostname:
            raise ValueError("names no host, e.g. redis://127.0.0.1:6379/0")
        database = parts.path.strip("/")
        if parts.scheme != "unix" and database and not database.isdigit():
            raise ValueError("the database after the host must be a number, e.g. /0")
        return v

    @field_validator("S3_ENDPOINT_URL")
    @classmethod
    def _s3_endpoint(cls, v: str) -> str:
        parts = urlsplit(v)
        if v and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ValueError("an http:// or https:// address, e.g. https://s3.example.gov.vn")
        return v

    @field_validator("S3_BUCKET")
    @classmethod
    def _s3_bucket(cls, v: str) -> str:
        if v and not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", v):
            raise ValueError("3 to 63 lower-case letters, digits, dots and hyphens (S3's bucket names)")
        return v

    @field_validator("DATABASE_URL")
    @classmethod
    def _known_database(cls, v: str) -> str:
        if v and not v.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("only sqlite:// and postgresql:// URLs are supported")
        return v.replace("postgresql://", "postgresql+psycopg://", 1)

    @field_validator(
        "RATE_LIMIT_UPLOADS",
        "RATE_LIMIT_SIGNING",
        "RATE_LIMIT_SUBMISSIONS",
        "RATE_LIMIT_CLAIMS",
        "RATE_LIMIT_SIGN_IN",
    )
    @classmethod
    def _rate_limit(cls, v: str) -> str:
        try:
            if not parse_many(v):
                raise ValueError("no limit given")
        except ValueError as exc:
            raise ValueError(f'not a rate limit such as "10 per minute; 100 per hour": {exc}') from None
        return v

    @field_validator("PUBLIC_URL")
    @classmethod
    def _origin_only(cls, v: str) -> str:
        try:
            parts = urlsplit(v.strip())
            parts.port  # noqa: B018 (a port that is not a number fails here)
        except ValueError as exc:
            raise ValueError(f"not a URL: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "an http:// or https:// address with a host name, e.g. https://dichvucong.example.vn"
            )
        if parts.username or parts.password or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("only scheme, host and port: no path, query, fragment or user name")
        return f"{parts.scheme}://{parts.netloc.lower()}"

    @field_validator("OIDC_ISSUER")
    @classmethod
    def _issuer_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("the provider's issuer URL, e.g. https://sso.dichvucong.gov.vn")
        return v.strip().rstrip("/")

    @field_validator("OIDC_SCOPES")
    @classmethod
    def _openid_scope(cls, v: list[str]) -> list[str]:
        if "openid" not in v:
            raise ValueError('must include "openid"')
        return v

    @field_validator("OIDC_CLAIMS")
    @classmethod
    def _known_particulars(cls, v: dict[str, str]) -> dict[str, str]:
        known = ("name", "personal_id", "tax_code", "email", "phone", "kind")
        wrong = sorted(set(v.values()) - set(known))
        if wrong:
            raise ValueError(f"maps claims to {', '.join(wrong)}; known particulars: {', '.join(known)}")
        return v

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if self.OIDC_ISSUER and not self.OIDC_CLIENT_ID:
            raise ValueError("OIDC_CLIENT_ID: required with OIDC_ISSUER")
        return self

    @field_validator("KIOSK_WARNING_SECONDS")
    @classmethod
    def _warning_within_idle(cls, v: int, info: ValidationInfo) -> int:
        idle = info.data.get("KIOSK_IDLE_SECONDS")
        if idle is not None and v >= idle:
            raise ValueError(f"the warning must start before the timeout (KIOSK_IDLE_SECONDS={idle})")
        return v

    @field_validator("WORKING_HOURS")
    @classmethod
    def _opens_before_closing(cls, v: str) -> str:
        opens, closes = v.split("-")
        if opens >= closes:
            raise ValueError(f"the working day must open before it closes, not {v!r}")
        return v

    @field_validator("TIMEZONE")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v


class InstanceFile(PydanticBaseSettingsSource):
    """The upper-case names of `instance/config.py`, a Python file (absent: nothing)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        found = runpy.run_path(str(path)) if path.exists() else {}
        self.values = {k: v for k, v in found.items() if k.isupper()}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)  # unknown names too: the model refuses them by name


class Environment(EnvSettingsSource):
    """`OPENDVC_*` variables of the given environment (the process's, or a test's)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env_vars = dict(environ)


def _check_names(environ: Mapping[str, str]) -> None:
    """pydantic-settings skips variables that name no setting; a misspelt one stops start-up."""
    known = Settings.model_fields
    for key in environ:
        name = key.removeprefix(ENV_PREFIX)
        if key.startswith(ENV_PREFIX) and name not in known and name != "INSTANCE_PATH":  # wsgi.py's
            raise ConfigError(f"{key}: unknown setting (known: {', '.join(sorted(known))})")


def load_settings(
    instance_path: Path, overrides: dict[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    environ = os.environ if environ is None else environ
    _check_names(environ)
    values = {k: v for k, v in (overrides or {}).items() if k in Settings.model_fields}
    try:
        token = _READING.set((instance_path, environ))
        try:
            settings = Settings(**values)
        finally:
            _READING.reset(token)
    except ValidationError as exc:
        lines = [f"{ENV_PREFIX}{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
    except SettingsError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
    if settings.ENV == "production":
        _fit_for_production(settings)
    return settings


MIN_SECRET_KEY = 32


def _fit_for_production(settings: Settings) -> None:
    if not settings.SECRET_KEY:
        raise ConfigError(f"{ENV_PREFIX}SECRET_KEY: required when {ENV_PREFIX}ENV is production")
    if len(settings.SECRET_KEY) < MIN_SECRET_KEY:
        raise ConfigError(
            f"{ENV_PREFIX}SECRET_KEY: at least {MIN_SECRET_KEY} characters when {ENV_PREFIX}ENV is production"
            " (python3 -c 'import secrets; print(secrets.token_hex(32))' makes one)"
        )
    if settings.OIDC_ISSUER and not settings.OIDC_ISSUER.startswith("https://"):
        raise ConfigError(
            f"{ENV_PREFIX}OIDC_ISSUER: must be an https:// address when {ENV_PREFIX}ENV is production"
        )
    if not settings.PUBLIC_URL.startswith("https://"):
        raise ConfigError(
            f"{ENV_PREFIX}PUBLIC_URL: must be an https:// address when {ENV_PREFIX}ENV is production"
            f" (it is {settings.PUBLIC_URL})"
        )
    pretend = [name for name in settings.PAYMENT_PROVIDERS if name in ("demo", "failing")]
    if pretend:
        raise ConfigError(
            f"{ENV_PREFIX}PAYMENT_PROVIDERS: {', '.join(pretend)} only pretend to pay: not offered "
            f"when {ENV_PREFIX}ENV is production"
        )


def trusted_hosts(settings: Settings) -> list[str]:
    """The host names requests may name: the public URL's, the configured extras and, in
    development, the machine itself."""
    hosts = [urlsplit(settings.PUBLIC_URL).hostname or "", *settings.ALLOWED_HOSTS]
    if settings.ENV == "development":
        hosts += ["localhost", "127.0.0.1"]
    return list(dict.fromkeys(h.lower() for h in hosts if h))


def rate_limit_storage(settings: Settings) -> str:
    """Where rate limits are counted: RATE_LIMIT_STORAGE when set, else Redis when REDIS_URL is
    set (shared by every process and machine), else this process's memory."""
    if "RATE_LIMIT_STORAGE" in settings.model_fields_set or not settings.REDIS_URL:
        return settings.RATE_LIMIT_STORAGE
    return settings.REDIS_URL


def not_answering(message: str) -> None:
    """A shared service (Redis, the object store) does not answer at start-up: the command or the
    first start stops with `message`; a gunicorn worker (perhaps one restarted while the service
    is briefly down) logs it and serves on, its requests answered 503 until the service is back,
    because a worker that fails to boot stops the whole gunicorn node."""
    if not served_by_gunicorn():
        raise ConfigError(message)
    logging.getLogger("app").error("%s: serving on, with 503 pages until it answers", message)


def served_by_gunicorn() -> bool:
    """True in a gunicorn worker (its arbiter is what imports this module of gunicorn's)."""
    return "gunicorn.arbiter" in sys.modules


def _own_secret_key() -> str:
    """A key of this process's own, for the one embedded process of `make run`. Gunicorn's
    workers would each make a different one and refuse each other's forms and cookies (and a
    restarted worker those of its predecessor), so under gunicorn a configured key is required;
    none is ever written to disk."""
    if served_by_gunicorn():
        raise ConfigError(
            f"{ENV_PREFIX}SECRET_KEY: required under gunicorn, whose workers must all sign with the"
            " same key (python3 -c 'import secrets; print(secrets.token_hex(32))' makes one)"
        )
    return secrets.token_hex(32)


def flask_config(settings: Settings, instance_path: Path) -> dict[str, Any]:
    """Translate our settings into the keys Flask and its extensions read."""
    database_url = settings.DATABASE_URL or f"sqlite:///{instance_path / 'opendvc.sqlite3'}"
    engine_options: dict[str, Any] = {"pool_pre_ping": True}
    production = settings.ENV == "production"
    if database_url.startswith("sqlite"):
        # One writer at a time: a submission holds the lock while its receipt is sealed (one
        # transaction), so a burst of submissions queues; they wait rather than fail.
        engine_options = {"connect_args": {"timeout": 120}}
    return {
        # Without a configured key each process makes its own: fine for one embedded
        # process, refused in production (see load_settings) and under gunicorn.
        "SECRET_KEY": settings.SECRET_KEY or _own_secret_key(),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "BABEL_DEFAULT_LOCALE": settings.DEFAULT_LOCALE,
        "BABEL_DEFAULT_TIMEZONE": settings.TIMEZONE,
        "BABEL_TRANSLATION_DIRECTORIES": str(PACKAGE_DIR.parent / "translations"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Production: over HTTPS only, and a __Host- name, which a browser accepts only from this
        # very host over HTTPS (no Domain attribute): a neighbouring subdomain cannot plant one.
        "SESSION_COOKIE_SECURE": production or settings.SESSION_COOKIE_SECURE,
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "SESSION_COOKIE_PATH": "/",
        "TRUSTED_HOSTS": trusted_hosts(settings),
        "WTF_CSRF_TIME_LIMIT": None,  # a long form takes longer than an hour to fill
        "OPENDVC": settings,
        "RATELIMIT_STORAGE_URI": rate_limit_storage(settings),
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 3.0, "socket_timeout": 5.0}
        if rate_limit_storage(settings).startswith(("redis", "rediss"))
        else {},
        "RATELIMIT_ENABLED": settings.RATE_LIMITS_ENABLED,
        "BLOB_DIR": settings.BLOB_DIR or instance_path / "blobs",
    }
