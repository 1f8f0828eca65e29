"""Sending one email over SMTP (smtplib), as the settings say. Without OPENDVC_SMTP_HOST the
message is written to the log instead, subject and recipient only (development: `make run`).

A failure raises MailError; callers that must not lose a message send through the outbox
(app.notifications), which retries."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app


class MailError(Exception):
    """The mail server could not be reached or refused the message."""


def compose(
    to: str, subject: str, text: str, html: str | None = None, *, message_id: str | None = None
) -> EmailMessage:
    settings = current_app.config["OPENDVC"]
    message = EmailMessage()
    message["From"] = settings.SMTP_FROM
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="opendvc")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send(message: EmailMessage) -> None:
    settings = current_app.config["OPENDVC"]
    if not settings.SMTP_HOST:
        current_app.logger.info("mail (no SMTP_HOST) to %s: %s", message["To"], message["Subject"])
        return
    timeout = settings.SMTP_TIMEOUT_SECONDS
    try:
        if settings.SMTP_TLS == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.SMTP_HOST, settings.SMTP_PORT, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(settings.SMTP_HOST, settings.SMTP_PORT, timeout=timeout)
        with smtp:
            if settings.SMTP_TLS == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.SMTP_USERNAME and settings.SMTP_PASSWORD:
                smtp.login(settings.SMTP_USERNAME, settings.SMTP_PASSWORD.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:  # refused, timed out, rejected
        raise MailError(f"{settings.SMTP_HOST}:{settings.SMTP_PORT}: {error}") from error
