"""The QR code on the chip ID card (căn cước công dân / thẻ căn cước), as the kiosk's scanner
types it: number|old number|name|date of birth|sex|address|issue date, dates as ddmmyyyy.

`parse` reads one scan or refuses it whole: a scan that is not exactly that fills nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from app.catalog.conditions import condition_holds
from app.catalog.schema import FormField, Procedure
from app.clock import today
from app.fields.base import Invalid
from app.fields.identifiers import personal_id

FIELDS = 7
SEXES = {"nam": "male", "nữ": "female", "nu": "female", "male": "male", "female": "female"}


class MalformedScan(Exception):
    """The scan is not an ID card's QR code: `message` says what to do, in the page's language."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class IdCard:
    number: str  # số định danh cá nhân, 12 digits
    old_number: str | None  # số CMND (9 digits) on cards that replaced one
    name: str
    born_on: date
    sex: str  # "male" or "female"
    address: str  # nơi thường trú, as printed
    issued_on: date


def _day(text: str) -> date:
    if not re.fullmatch(r"\d{8}", text):
        raise ValueError(text)
    return date(int(text[4:]), int(text[2:4]), int(text[:2]))


def parse(raw: str) -> IdCard:
    text = raw.strip().strip("\r\n")
    if not text or len(text) > 1000:
        raise MalformedScan(_l("Nothing was read. Hold the QR code of the ID card under the scanner again."))
    parts = [p.strip() for p in text.split("|")]
    if len(parts) != FIELDS:
        raise MalformedScan(
            _l("This is not the QR code of a chip ID card. Scan the QR code on the front of the card.")
        )
    number, old, name, born, sex, address, issued = parts
    try:
        number = personal_id(number)
    except Invalid:
        raise MalformedScan(
            _l("The card number in the QR code is not valid. Scan again, or type your details.")
        ) from None
    if old and not re.fullmatch(r"\d{9}", old):
        raise MalformedScan(_l("The QR code could not be read correctly. Scan again, or type your details."))
    try:
        born_on, issued_on = _day(born), _day(issued)
    except ValueError:
        raise MalformedScan(
            _l("The dates in the QR code could not be read. Scan again, or type your details.")
        ) from None
    if not name or not address or sex.lower() not in SEXES or not born_on < issued_on <= today():
        raise MalformedScan(_l("The QR code could not be read correctly. Scan again, or type your details."))
    return IdCard(number, old or None, name, born_on, SEXES[sex.lower()], address, issued_on)


def _visible(spec: FormField, answers: dict[str, Any]) -> bool:
    return spec.show_if is None or condition_holds(spec.show_if, answers)


def _address(text: str) -> dict[str, str]:
    """A printed address ("12 Lê Thánh Tông, Phường Hoàn Kiếm, Hà Nội") in the address field's
    parts: the last part is the province, the one before it the ward, the rest the street."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) < 3:
        return {"street": text, "ward": "", "province": ""}
    return {"street": ", ".join(parts[:-2]), "ward": parts[-2], "province": parts[-1]}


def answers_for(definition: Procedure, card: IdCard) -> dict[str, Any]:
    """The answers a card fills: the applicant as a citizen (when the procedure asks which kind
    of applicant), their name, personal identification number and address as the applicant
    mapping names them, and a date of birth or sex field where the form has one. Empty when the
    form has no citizen's identification number to fill."""
    mapping = definition.form.applicant
    answers: dict[str, Any] = {}
    if mapping.kind:
        kind = definition.field_named(mapping.kind)
        for option in kind.options or []:
            if option.value == "citizen" or mapping.kind_values.get(option.value) == "citizen":
                answers[mapping.kind] = option.value
                break

    def first(names: list[str], types: tuple[str, ...]) -> FormField | None:
        for name in names:
            spec = definition.field_named(name)
            if spec.type in types and _visible(spec, answers):
                return spec
        return None

    if not answers:  # no kind field: the citizen's questions may show on a simple answer
        for name in mapping.identifier:
            spec = definition.field_named(name)
            cond = spec.show_if
            if spec.type == "personal_id" and cond is not None and cond.field and cond.equals is not None:
                answers[cond.field] = cond.equals
                break
    identifier = first(mapping.identifier, ("personal_id",))
    if identifier is None:
        return {}
    answers[identifier.name] = card.number
    if (named := first(mapping.name, ("text",))) is not None:
        answers[named.name] = card.name
    if (address := first(mapping.address, ("address", "text", "textarea"))) is not None:
        answers[address.name] = _address(card.address) if address.type == "address" else card.address
    for step in definition.form.steps:
        for spec in step.fields:
            if spec.name in answers or not _visible(spec, answers):
                continue
            if spec.type == "date" and "birth" in spec.name:
                answers[spec.name] = card.born_on.isoformat()
            elif spec.type in ("radio", "select") and spec.name in ("sex", "gender"):
                values = {o.value for o in spec.options or []}
                if card.sex in values:
                    answers[spec.name] = card.sex
    return answers
