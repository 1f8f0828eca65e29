"""The account pages' forms (each with its CSRF token, Flask-WTF's)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; its stubs lack it
from wtforms.validators import InputRequired, Length, Optional

from app.extensions import Form

KIND_CHOICES = [
    SelectChoice("citizen", _l("A citizen")),
    SelectChoice("business", _l("A business (with its legal representative)")),
]
LANGUAGE_CHOICES = [SelectChoice("vi", "Tiếng Việt"), SelectChoice("en", "English")]


class ActionForm(Form):
    """A button that changes something: only its CSRF token."""


class SignInForm(Form):
    identifier = StringField(
        _l("Email address or phone number"),
        [InputRequired(_l("Enter your email address or phone number")), Length(max=255)],
    )
    password = PasswordField(_l("Password"), [InputRequired(_l("Enter your password")), Length(max=200)])


class RegisterForm(Form):
    identifier = StringField(
        _l("Email address or phone number"),
        [InputRequired(_l("Enter your email address or phone number")), Length(max=255)],
    )
    password = PasswordField(_l("Password"), [InputRequired(_l("Choose a password")), Length(max=200)])
    name = StringField(
        _l("Full name (of the citizen or the business)"),
        [
            InputRequired(_l("Enter your name")),
            Length(max=255, message=_l("Write at most %(max)d characters")),
        ],
    )
    kind = RadioField(
        _l("I am"),
        choices=KIND_CHOICES,
        default="citizen",
        validators=[InputRequired(_l("Select citizen or business"))],
    )
    tax_code = StringField(_l("Tax code (business)"), [Optional(), Length(max=20)])
    representative_name = StringField(_l("Legal representative (business)"), [Optional(), Length(max=255)])


class IdentifierForm(Form):
    identifier = StringField(
        _l("Email address or phone number"),
        [InputRequired(_l("Enter your email address or phone number")), Length(max=255)],
    )


class ConfirmForm(Form):
    """The confirmation of an address: the account's password, that only its holder knows."""

    password = PasswordField(_l("Password"), [Length(max=200)])


class NewPasswordForm(Form):
    password = PasswordField(_l("New password"), [InputRequired(_l("Choose a password")), Length(max=200)])


class ChangePasswordForm(Form):
    current = PasswordField(
        _l("Current password"), [InputRequired(_l("Enter your current password")), Length(max=200)]
    )
    password = PasswordField(_l("New password"), [InputRequired(_l("Choose a password")), Length(max=200)])


class ProfileForm(Form):
    name = StringField(
        _l("Full name"), [Optional(), Length(max=255, message=_l("Write at most %(max)d characters"))]
    )
    personal_id = StringField(_l("Personal identification number"), [Optional(), Length(max=20)])
    kind = RadioField(
        _l("I am"), choices=KIND_CHOICES, validators=[InputRequired(_l("Select citizen or business"))]
    )
    tax_code = StringField(_l("Tax code (business)"), [Optional(), Length(max=20)])
    representative_name = StringField(_l("Legal representative (business)"), [Optional(), Length(max=255)])
    address = StringField(
        _l("Address"), [Optional(), Length(max=500, message=_l("Write at most %(max)d characters"))]
    )
    email = StringField(_l("Email address"), [Optional(), Length(max=255)])
    locale = RadioField(_l("Language of emails and messages"), choices=LANGUAGE_CHOICES, default="vi")
    notify_email = BooleanField(_l("By email"))
    notify_sms = BooleanField(_l("By SMS"))
    notify_app = BooleanField(_l("In the message app"))
