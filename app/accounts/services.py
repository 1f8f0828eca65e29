"""Local accounts: registration, email verification, sign-in, password reset, the profile; and
the account an identity provider's sign-in opens. One transaction per change.

Sign-in is throttled per account like the staff's (app/staff/services.py): five wrong passwords,
each less than fifteen minutes after the one before, lock the account for fifteen minutes after
the last; the count lives in the account's row, so it holds across processes. (Per client
address, the views add Flask-Limiter's OPENDVC_RATE_LIMIT_SIGN_IN.)

A link sent by mail (verify an address, reset a password) carries a random token; only its
sha256 is stored, with its purpose, its expiry and when it was used: it works once. The mail is
sent inside the transaction that stores the token: if the mail server refuses, nothing is kept
and the applicant is asked to try again."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any, cast

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CursorResult, Executable, case, delete, select, update
from sqlalchemy.exc import IntegrityError

from app import clock, mail
from app.accounts.models import Account, AccountToken
from app.accounts.passwords import dummy_verify, hash_password, needs_rehash, verify
from app.accounts.sessions import SESSIONS
from app.extensions import db

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
VERIFY, RESET = "verify", "reset"
# The particulars an applicant keeps in the profile (and a provider may vouch for).
PARTICULARS = ("name", "personal_id", "tax_code", "representative_name", "address", "email", "phone", "kind")
KINDS = ("citizen", "business")
TAX_CODE = re.compile(r"\d{10}(-?\d{3})?")  # mã số thuế: 10 digits, 13 with a branch's suffix

# Builds the absolute link of a token for a purpose (the views know their routes).
LinkFor = Callable[[str, str], str]


class AccountError(ValueError):
    """A refusal to show the applicant as it is (already translated)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class SignIn(Enum):
    OK = "ok"
    REFUSED = "refused"
    LOCKED = "locked"
    UNVERIFIED = "unverified"  # the right password, an email address not yet verified


class Link(Enum):
    OK = "ok"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"
    NOT_YOURS = "not_yours"  # the account's password was not given (nothing used up)


def _rows_changed(statement: Executable) -> int:
    return cast("CursorResult[Any]", db.session.execute(statement)).rowcount


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_identifier(text: str) -> tuple[str, str]:
    """("email", lower-cased address) or ("phone", E.164 number, Viet Nam's by default)."""
    text = text.strip()
    if "@" in text:
        try:
            return "email", validate_email(text, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            raise AccountError(_("Enter an email address like name@example.vn"), field="identifier") from None
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise AccountError(
            _("Enter an email address, or a phone number like 0912 345 678"), field="identifier"
        )
    return "phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find(identifier: str) -> Account | None:
    try:
        kind, value = parse_identifier(identifier)
    except AccountError:
        return None
    if kind == "phone":
        return db.session.scalar(select(Account).where(Account.phone == value))
    # An address is an account's way in once confirmed, or as the one way in of an account
    # waiting for its confirmation; not an address a phone account has added and not confirmed
    # (anyone could type someone else's).
    return db.session.scalar(
        select(Account).where(
            Account.email == value, Account.email_verified_at.is_not(None) | Account.phone.is_(None)
        )
    )


def _release_unconfirmed(address: str, keep: Account | None = None) -> None:
    """Take `address` off a phone account that added it and never confirmed it, so that its real
    owner can use it; that account's links for it stop working."""
    holder = db.session.scalar(
        select(Account).where(
            Account.email == address, Account.email_verified_at.is_(None), Account.phone.is_not(None)
        )
    )
    if holder is not None and holder is not keep:
        holder.email = None
        _revoke(holder, VERIFY, RESET)
        db.session.flush()


def _revoke(account: Account, *purposes: str) -> None:
    """The account's links of these purposes not used yet stop working."""
    db.session.execute(
        delete(AccountToken).where(
            AccountToken.account_id == account.id,
            AccountToken.purpose.in_(purposes),
            AccountToken.used_at.is_(None),
        )
    )


def check_password(password: str) -> None:
    least = current_app.config["OPENDVC"].ACCOUNT_MIN_PASSWORD
    if len(password) < least:
        raise AccountError(_("Choose a password of at least %(num)d characters", num=least), field="password")
    if len(password) > 200:
        raise AccountError(_("Choose a password of at most 200 characters"), field="password")


def check_kind(kind: str, tax_code: str | None, representative_name: str | None) -> None:
    if kind not in KINDS:
        raise AccountError(_("Select citizen or business"), field="kind")
    if kind == "business":
        if not tax_code or not TAX_CODE.fullmatch(tax_code):
            raise AccountError(
                _("Enter the business's tax code: 10 digits, or 13 with the branch (0101234567-001)"),
                field="tax_code",
            )
        if not representative_name:
            raise AccountError(
                _("Enter the name of the business's legal representative"), field="representative_name"
            )


def _issue(account: Account, purpose: str) -> str:
    settings = current_app.config["OPENDVC"]
    ttl = (
        timedelta(hours=settings.ACCOUNT_VERIFY_HOURS)
        if purpose == VERIFY
        else timedelta(minutes=settings.ACCOUNT_RESET_MINUTES)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            purpose=purpose, account_id=account.id, token_hash=_hash(token), expires_at=clock.now() + ttl
        )
    )
    return token


def _send(to: str, subject: str, text: str) -> None:
    """Send now, inside the caller's transaction: a refusal undoes it."""
    try:
        mail.send(mail.compose(to, subject, text))
    except mail.MailError as error:
        db.session.rollback()
        current_app.logger.warning("account mail to %s not sent: %s", to, error)
        raise AccountError(
            _("The email could not be sent just now. Nothing was saved: try again in a few minutes.")
        ) from error


def _send_verification(account: Account, link_for: LinkFor) -> None:
    assert account.email is not None
    link = link_for(VERIFY, _issue(account, VERIFY))
    hours = current_app.config["OPENDVC"].ACCOUNT_VERIFY_HOURS
    _send(
        account.email,
        _("Confirm your email address"),
        _(
            "To confirm the email address of your account on the online public services portal, open "
            "this link within %(num)d hours:\n\n%(link)s\n\n"
            "If you did not ask for an account, ignore this email.",
            num=hours,
            link=link,
        ),
    )


def register(
    *,
    identifier: str,
    password: str,
    kind: str,
    name: str,
    tax_code: str | None,
    representative_name: str | None,
    locale: str,
    link_for: LinkFor,
) -> Account:
    """A new local account. With an email address, a verification link is sent to it and the
    account cannot sign in before it is opened. A phone number cannot be verified here (no SMS
    gateway is part of the portal): such an account signs in at once and gets email
    notifications only once it has added and verified an address in its profile."""
    field, value = parse_identifier(identifier)
    check_password(password)
    check_kind(kind, tax_code, representative_name)
    column = Account.email if field == "email" else Account.phone
    taken = AccountError(
        _("An account with this address or number exists already. Sign in, or reset its password."),
        field="identifier",
    )
    if field == "email":
        _release_unconfirmed(value)
    if db.session.scalar(select(Account.id).where(column == value)) is not None:
        raise taken
    if not name.strip():
        raise AccountError(_("Enter your name"), field="name")
    account = Account(
        kind=kind,
        password_hash=hash_password(password),
        name=name.strip(),
        tax_code=tax_code if kind == "business" else None,
        representative_name=representative_name if kind == "business" else None,
        locale=locale,
        verified=[],
        failed_logins=0,
        notify_email=field == "email",
        **{field: value},
    )
    db.session.add(account)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise taken from None
    if account.email:
        _send_verification(account, link_for)
    db.session.commit()
    return account


def resend_verification(identifier: str, link_for: LinkFor) -> None:
    """A new link for an address not yet verified; nothing for any other (same reply)."""
    account = find(identifier)
    if account is None or account.email is None or account.email_verified_at is not None:
        return
    _send_verification(account, link_for)
    db.session.commit()


def _link(token: str, purpose: str) -> AccountToken | None:
    """The link a token names, used or not (only its sha256 is kept)."""
    return db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == _hash(token), AccountToken.purpose == purpose)
    )


def _consume(token: str, purpose: str) -> tuple[Link, Account | None]:
    """Use a link once: a conditional UPDATE, so that two requests with it cannot both win."""
    found = _link(token, purpose)
    if found is None:
        return Link.UNKNOWN, None
    if found.used_at is not None:
        return Link.USED, None
    now = clock.now()
    if found.expires_at <= now:
        return Link.EXPIRED, None
    used = _rows_changed(
        update(AccountToken)
        .where(AccountToken.id == found.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not used:
        db.session.rollback()
        return Link.USED, None
    return Link.OK, db.session.get(Account, found.account_id)


def _link_owner(token: str, purpose: str) -> Account | None:
    found = _link(token, purpose)
    return db.session.get(Account, found.account_id) if found is not None else None


def verify_email(
    token: str, password: str, *, signed_in: Account | None = None
) -> tuple[Link, Account | None]:
    """Confirm the address a link was mailed to. Whoever opens it must also be the account's
    holder: give its password (or, for an account without one, be signed in as it). Otherwise
    someone who registered, or added to their account, another person's address would have it
    confirmed by its unsuspecting owner, who opens the mail."""
    holder = _link_owner(token, VERIFY)
    if holder is not None:
        if holder.password_hash is not None:
            if not verify(holder.password_hash, password):
                return Link.NOT_YOURS, None
        elif signed_in is None or signed_in.id != holder.id:
            return Link.NOT_YOURS, None
    outcome, account = _consume(token, VERIFY)
    if account is not None:
        account.email_verified_at = account.email_verified_at or clock.now()
        db.session.commit()
    return outcome, account


def request_reset(identifier: str, link_for: LinkFor) -> None:
    """A reset link to the account's email address; nothing when there is none (the same reply
    either way: the page does not tell who has an account)."""
    account = find(identifier)
    if account is None or account.email is None:
        return
    link = link_for(RESET, _issue(account, RESET))
    minutes = current_app.config["OPENDVC"].ACCOUNT_RESET_MINUTES
    _send(
        account.email,
        _("Reset your password"),
        _(
            "To choose a new password for your account on the online public services portal, open this "
            "link within %(num)d minutes:\n\n%(link)s\n\nIt works once. If you did not ask for it, ignore "
            "this email: your password stays as it is.",
            num=minutes,
            link=link,
        ),
    )
    db.session.commit()


def reset_link_state(token: str) -> Link:
    """What a reset link would do, without using it (the page that asks the new password)."""
    found = _link(token, RESET)
    if found is None:
        return Link.UNKNOWN
    if found.used_at is not None:
        return Link.USED
    return Link.EXPIRED if found.expires_at <= clock.now() else Link.OK


def reset_password(token: str, password: str) -> tuple[Link, Account | None]:
    """A new password through a reset link: every session of the account ends, the failed
    attempts are forgotten and, the link having reached the mailbox, the address is verified."""
    check_password(password)
    outcome, account = _consume(token, RESET)
    if account is None:
        return outcome, None
    account.password_hash = hash_password(password)
    account.failed_logins = 0
    account.last_failure_at = None
    account.email_verified_at = account.email_verified_at or clock.now()
    _revoke(account, RESET, VERIFY)  # the account's other links: this one did their work
    SESSIONS.close_all(account.id)  # commits the change with it, on the database store
    db.session.commit()
    return outcome, account


def sign_in(identifier: str, password: str) -> tuple[SignIn, Account | None]:
    """Check an address (or number) and a password. The attempt is counted before the password is
    checked, in one conditional UPDATE, so parallel guesses cannot get past the limit."""
    account = find(identifier)
    if account is None or account.password_hash is None:
        dummy_verify(password)
        return SignIn.REFUSED, None
    stored, now = account.password_hash, clock.now()
    stale = Account.last_failure_at.is_(None) | (Account.last_failure_at <= now - LOCKOUT)
    counted = _rows_changed(
        update(Account)
        .where(Account.id == account.id, stale | (Account.failed_logins < MAX_FAILURES))
        .values(failed_logins=case((stale, 1), else_=Account.failed_logins + 1), last_failure_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if not counted:
        dummy_verify(password)
        return SignIn.LOCKED, None
    if not verify(stored, password):
        return SignIn.REFUSED, None
    values: dict[str, Any] = {"failed_logins": 0, "last_failure_at": None}
    if needs_rehash(stored):
        values["password_hash"] = hash_password(password)
    db.session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(account)
    if account.email is not None and account.email_verified_at is None and account.phone is None:
        return SignIn.UNVERIFIED, account
    return SignIn.OK, account


def change_password(account: Account, current: str, new: str) -> None:
    if not verify(account.password_hash, current):
        raise AccountError(_("This is not your current password"), field="current")
    check_password(new)
    account.password_hash = hash_password(new)
    _revoke(account, RESET)
    # Every session ends, this one's too (the caller signs this browser in again): whoever knew
    # the old password is signed out.
    SESSIONS.close_all(account.id)  # commits the change with it, on the database store
    db.session.commit()


@dataclass(frozen=True)
class Profile:
    name: str | None
    personal_id: str | None
    kind: str
    tax_code: str | None
    representative_name: str | None
    address: str | None
    email: str | None
    locale: str
    notify_email: bool
    notify_sms: bool
    notify_app: bool


def update_profile(account: Account, profile: Profile, link_for: LinkFor) -> bool:
    """Save the profile. What the identity provider vouched for (Account.verified), and an email
    address already confirmed, are kept as they are, whatever was sent. An email address added (a
    phone-only account's) or corrected before it was confirmed gets a verification link; until it
    is opened no email notification goes to it. True: a link was sent."""
    locked = set(account.verified or [])
    values = {
        "name": profile.name,
        "personal_id": profile.personal_id,
        "kind": profile.kind,
        "tax_code": profile.tax_code,
        "representative_name": profile.representative_name,
        "address": profile.address,
    }
    wanted = {k: v for k, v in values.items() if k not in locked}
    if wanted.get("personal_id") and not re.fullmatch(r"\d{12}", wanted["personal_id"] or ""):
        raise AccountError(
            _("Enter the 12 digits of the personal identification number"), field="personal_id"
        )
    kind = wanted.get("kind") or account.kind
    check_kind(
        kind,
        wanted.get("tax_code", account.tax_code) if kind == "business" else None,
        wanted.get("representative_name", account.representative_name) if kind == "business" else None,
    )
    for key, value in wanted.items():
        setattr(account, key, value)
    account.locale = profile.locale
    account.notify_email, account.notify_sms, account.notify_app = (
        profile.notify_email,
        profile.notify_sms,
        profile.notify_app,
    )
    sent = False
    # A confirmed address is kept: replacing it by one not yet confirmed would lock an email
    # account out (it signs in only once its address is confirmed) on a typing mistake.
    changeable = "email" not in locked and account.email_verified_at is None
    if changeable and profile.email and profile.email != account.email:
        _field, address = parse_identifier(profile.email)
        if _field != "email":
            raise AccountError(_("Enter an email address like name@example.vn"), field="email")
        _release_unconfirmed(address, keep=account)
        if db.session.scalar(select(Account.id).where(Account.email == address, Account.id != account.id)):
            db.session.rollback()
            raise AccountError(_("Another account uses this email address"), field="email")
        account.email, account.email_verified_at = address, None
        _revoke(account, VERIFY, RESET)  # links sent to the address before reach it no more
        db.session.flush()
        _send_verification(account, link_for)
        sent = True
    db.session.commit()
    return sent


def from_provider(issuer: str, subject: str, particulars: dict[str, str]) -> Account:
    """The account an identity provider's sign-in opens: made at the first one, its particulars
    brought up to date from the provider each time, and listed in `verified`. An email address
    or phone number another account holds already is left out (never merged on the provider's
    word: the other account is someone's own)."""
    account = db.session.scalar(
        select(Account).where(Account.oidc_issuer == issuer, Account.oidc_subject == subject)
    )
    if account is None:
        account = Account(
            oidc_issuer=issuer,
            oidc_subject=subject,
            kind="citizen",
            verified=[],
            failed_logins=0,
            locale="vi",
        )
        db.session.add(account)
        db.session.flush()
    kept: dict[str, str] = {}
    for key, value in particulars.items():
        if key in ("email", "phone"):
            column = Account.email if key == "email" else Account.phone
            other = db.session.scalar(select(Account.id).where(column == value, Account.id != account.id))
            if other is not None:
                continue
        if key == "kind" and value not in KINDS:
            continue
        kept[key] = value
    for key, value in kept.items():
        setattr(account, key, value)
    if "email" in kept:
        account.email_verified_at = account.email_verified_at or clock.now()
    account.verified = sorted(kept)
    db.session.commit()
    return account
