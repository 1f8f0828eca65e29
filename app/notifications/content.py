"""What a notification says: rendered once, in the applicant's language, when it is queued.

Each message names the procedure, the dossier code, what changed and what to do, and links to
the dossier on the public address (OPENDVC_PUBLIC_URL). It never holds the dossier's access
secret: a mail is read on many devices and forwarded; the tracking page asks for the secret.
The HTML alternative is the same paragraphs, every one escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.dossiers.models import Dossier, DossierEvent
from app.dossiers.records import procedure_of
from app.dossiers.status import Status
from app.i18n import day, vnd


@dataclass(frozen=True)
class FeeDue:
    """A fee the agency asks for with a payment request (status 6), as its event gives it."""

    name: str
    amount: int  # VND


@dataclass(frozen=True)
class Content:
    subject: str
    text: str  # the email's plain text
    html: str  # the email's HTML alternative
    short: str  # an SMS or a message-app message


def _headline(event: DossierEvent) -> str:
    """What changed, in a few words (the subject's end)."""
    to = Status(event.to_status)
    if to == Status.NEW:
        return _("your dossier has been submitted")
    if event.from_status == event.to_status:
        return _("the date of your result has been moved")
    headlines = {
        Status.ACCEPTED: _("your dossier has been accepted"),
        Status.REFUSED: _("your dossier was not accepted"),
        Status.SUPPLEMENT_REQUESTED: _("supplements are requested"),
        Status.PAYMENT_REQUESTED: _("fees are to be paid"),
        Status.RESULT_RETURNED: _("your result is ready"),
    }
    return headlines.get(to) or _("new status: %(status)s", status=to.label)


def _what_to_do(event: DossierEvent) -> str:
    to = Status(event.to_status)
    if to == Status.NEW:
        return _(
            "The agency will check your dossier and tell you whether it is accepted. Keep your "
            "access code: you need it to open the dossier."
        )
    if event.from_status == event.to_status:
        return _("Nothing is needed from you: the agency will return the result by the new date.")
    advice = {
        Status.ACCEPTED: _(
            "The agency is processing your dossier. The receipt with the promised date can be "
            "printed from the dossier's page."
        ),
        Status.REFUSED: _("The agency gave its reason above. You may submit a new dossier."),
        Status.SUPPLEMENT_REQUESTED: _(
            "Open your dossier, send the documents or corrections asked for, and sign them: "
            "processing continues once the agency has them."
        ),
        Status.PAYMENT_REQUESTED: _(
            "Pay the fees as the agency tells you: processing continues once they are paid."
        ),
        Status.RESULT_RETURNED: _("Open your dossier to download the result."),
    }
    return advice.get(to) or _("Open your dossier to see its status and history.")


def render(
    dossier: Dossier,
    event: DossierEvent,
    *,
    locale: str,
    link: str,
    name: str | None,
    fees: list[FeeDue],
    result_codes: list[str],
) -> Content:
    """The notification of `event` (a row of the dossier's history) in `locale`."""
    with force_locale(locale):
        procedure = procedure_of(dossier).definition.name.get(locale)
        code = dossier.code or ""
        headline = _headline(event)
        subject = _("Dossier %(code)s: %(what)s", code=code, what=headline)
        paragraphs = [
            _("Dear %(name)s,", name=name) if name else _("Hello,"),
            _("Procedure: %(procedure)s", procedure=procedure),
            _("Dossier code: %(code)s", code=code),
            _("What changed: %(what)s.", what=headline),
        ]
        if event.note:
            paragraphs.append(_("The agency's message: %(note)s", note=event.note))
        if event.apology:
            paragraphs.append(_("The agency's apology: %(apology)s", apology=event.apology))
        if event.promised_on is not None:
            paragraphs.append(_promised(event, event.promised_on))
        if fees:
            lines = [_("Fees to pay:")]
            lines += [f"- {fee.name}: {vnd(fee.amount)}" for fee in fees]
            lines.append(_("Total: %(total)s", total=vnd(sum(fee.amount for fee in fees))))
            paragraphs.append("\n".join(lines))
        if result_codes:
            paragraphs.append(_("Result documents: %(codes)s", codes=", ".join(result_codes)))
        paragraphs.append(_what_to_do(event))
        open_line = _("Your dossier: %(link)s", link=link)
        footer = _(
            "This message was sent automatically by the online public service portal. Do not reply to it."
        )
        text = "\n\n".join([*paragraphs, open_line, footer]) + "\n"
        html = _html(locale, paragraphs, link, _("Open your dossier"), footer)
        short = _("Dossier %(code)s: %(what)s. %(link)s", code=code, what=headline, link=link)
    return Content(subject=subject, text=text, html=html, short=short)


@dataclass(frozen=True)
class PaymentReceived:
    """A payment of the dossier's fees, received (the provider settled it), with its receipt."""

    amount: int  # VND
    provider: Mapping[str, str]  # the provider's title, by language (vi, en)
    receipt_number: str  # số biên lai


def render_paid(
    dossier: Dossier, paid: PaymentReceived, *, locale: str, link: str, name: str | None
) -> Content:
    """The notification that a payment was received, in `locale`."""
    with force_locale(locale):
        procedure = procedure_of(dossier).definition.name.get(locale)
        code = dossier.code or ""
        headline = _("your payment has been received")
        subject = _("Dossier %(code)s: %(what)s", code=code, what=headline)
        paragraphs = [
            _("Dear %(name)s,", name=name) if name else _("Hello,"),
            _("Procedure: %(procedure)s", procedure=procedure),
            _("Dossier code: %(code)s", code=code),
            _("What changed: %(what)s.", what=headline),
            _(
                "Paid: %(amount)s, through %(provider)s.",
                amount=vnd(paid.amount),
                provider=paid.provider.get(locale) or paid.provider.get("vi", ""),
            ),
            _(
                "Receipt no. %(number)s: the receipt of fees and charges, sealed by the portal, can be "
                "downloaded from your dossier's page.",
                number=paid.receipt_number,
            ),
        ]
        open_line = _("Your dossier: %(link)s", link=link)
        footer = _(
            "This message was sent automatically by the online public service portal. Do not reply to it."
        )
        text = "\n\n".join([*paragraphs, open_line, footer]) + "\n"
        html = _html(locale, paragraphs, link, _("Open your dossier"), footer)
        short = _("Dossier %(code)s: %(what)s. %(link)s", code=code, what=headline, link=link)
    return Content(subject=subject, text=text, html=html, short=short)


def _promised(event: DossierEvent, on: date) -> str:
    if Status(event.to_status) == Status.NEW:
        return _("Result expected on %(day)s.", day=day(on))
    return _("Result promised on %(day)s.", day=day(on))


def _html(locale: str, paragraphs: list[str], link: str, label: str, footer: str) -> str:
    body = Markup("").join(
        Markup("<p>{}</p>\n").format(Markup("<br>").join(escape(line) for line in p.split("\n")))
        for p in paragraphs
    )
    button = Markup('<p><a href="{}">{}</a></p>\n').format(link, label)
    end = Markup("<p><small>{}</small></p>\n").format(footer)
    page = Markup('<!DOCTYPE html>\n<html lang="{}"><body>\n{}{}{}</body></html>\n')
    return str(page.format(locale, body, button, end))
