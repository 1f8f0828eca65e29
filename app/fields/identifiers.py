"""Vietnamese identifiers and contact details: normalise what a person typed, or say why it
cannot be right. The tax code is checked by python-stdnum, phone numbers by phonenumbers (the
numbering plan of Viet Nam, kept up to date upstream), e-mail addresses by email-validator."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from stdnum import exceptions as stdnum_errors
from stdnum.vn import mst

from app.fields.base import Check, Convert, FieldType, Invalid, Spec, field_type

InvalidIdentifier = Invalid  # the name the callers know

# Province and city codes that open a personal identification number (Circular 07/2016/TT-BCA).
# fmt: off
PROVINCE_CODES = frozenset(f"{n:03d}" for n in (
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31,
    33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62,
    64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93,
    94, 95, 96,
))
# fmt: on


def personal_id(raw: str) -> str:
    """Số định danh cá nhân (on the CCCD card): 12 digits, opening with a province code."""
    value = re.sub(r"\s", "", raw)
    if not re.fullmatch(r"\d{12}", value):
        raise Invalid(_l("Enter the 12 digits of the personal identification number"))
    if value[:3] not in PROVINCE_CODES:
        raise Invalid(_l("The first 3 digits must be a province code: check for a typing mistake"))
    return value


def holder_kind(identifier: str | None) -> str | None:
    """Whose identifier it is, by its form as `personal_id` and `tax_code` write it: "citizen"
    (12 digits), "business" (10 digits, or 10-3 for a branch), or None."""
    if identifier and re.fullmatch(r"\d{12}", identifier):
        return "citizen"
    if identifier and re.fullmatch(r"\d{10}(-\d{3})?", identifier):
        return "business"
    return None


def tax_check_digit(first_nine: str) -> int | None:
    """The 10th digit of a tax code, or None when no valid code has these first nine digits."""
    check = int(mst.calc_check_digit(first_nine))
    return None if check == 10 else check


def tax_code(raw: str) -> str:
    """Mã số doanh nghiệp / mã số thuế: 10 digits, or 13 for a branch, written 0101234567-001."""
    value = re.sub(r"\s", "", raw)
    if re.fullmatch(r"\d{10}(?:-?\d{3})?", value) is None:
        raise Invalid(_l("Enter a tax code of 10 digits, or 13 digits for a branch (like 0101234567-001)"))
    try:
        compact = mst.validate(value)
    except stdnum_errors.InvalidComponent:
        if len(value) > 10 and value.endswith("000"):
            raise Invalid(_l("A branch number runs from 001 to 999")) from None
        raise Invalid(_l("This tax code does not exist: check for a typing mistake")) from None
    except stdnum_errors.ValidationError:
        raise Invalid(_l("This tax code does not exist: check for a typing mistake")) from None
    return mst.format(compact)


def phone(raw: str) -> str:
    """A Vietnamese phone number in its national form: 0912345678, 02438251234."""
    value = re.sub(r"[\s.\-()]", "", raw)
    if value.startswith("84") and len(value) in (11, 12):
        value = "+" + value
    try:
        number = phonenumbers.parse(value, "VN")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or number.country_code != 84
        or not phonenumbers.is_valid_number_for_region(number, "VN")
    ):
        raise Invalid(_l("Enter a Vietnamese phone number, like 0912 345 678 or +84 912 345 678"))
    return "0" + phonenumbers.national_significant_number(number)


def email(raw: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid(_l("Enter an email address in the correct format, like name@example.com")) from None


class IdentifierType(FieldType):
    parse: ClassVar[Any]
    example_answer: ClassVar[str]

    def validators(self, spec: Spec) -> list[Check]:
        return [Convert(type(self).parse)]

    def sample(self, spec: Spec) -> str:
        return self.example_answer


@field_type
class EmailType(IdentifierType):
    name = "email"
    parse = staticmethod(email)
    input_attrs = {"type": "email", "autocomplete": "email", "spellcheck": "false"}
    example_answer = "thuha.nguyen@example.vn"


@field_type
class PhoneType(IdentifierType):
    name = "phone"
    parse = staticmethod(phone)
    input_attrs = {"type": "tel", "autocomplete": "tel"}
    example_answer = "0912345678"


@field_type
class PersonalIdType(IdentifierType):
    name = "personal_id"
    parse = staticmethod(personal_id)
    input_attrs = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
    example_answer = "001099012345"


@field_type
class TaxCodeType(IdentifierType):
    name = "tax_code"
    parse = staticmethod(tax_code)
    input_attrs = {"spellcheck": "false", "autocomplete": "off"}
    example_answer = "0100109106"
