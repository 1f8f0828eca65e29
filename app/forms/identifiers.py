"""Vietnamese identifiers: normalise what a person typed, or say why it cannot be right.

Each function returns the canonical form or raises InvalidIdentifier carrying a message
that is translated when shown.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

# Province and city codes that open a personal identification number (Circular 07/2016/TT-BCA).
# fmt: off
PROVINCE_CODES = frozenset(f"{n:03d}" for n in (
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31,
    33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62,
    64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93,
    94, 95, 96,
))
# fmt: on
# Weights of the check digit of a 10-digit enterprise / tax code (mã số thuế).
TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_SEPARATORS = re.compile(r"[\s.\-()]")


class InvalidIdentifier(ValueError):
    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


def personal_id(raw: str) -> str:
    """Số định danh cá nhân (on the CCCD card): 12 digits, opening with a province code."""
    value = re.sub(r"\s", "", raw)
    if not re.fullmatch(r"\d{12}", value):
        raise InvalidIdentifier(_l("Enter the 12 digits of the personal identification number"))
    if value[:3] not in PROVINCE_CODES:
        raise InvalidIdentifier(_l("The first 3 digits must be a province code: check for a typing mistake"))
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
    check = 10 - sum(int(d) * w for d, w in zip(first_nine, TAX_WEIGHTS, strict=True)) % 11
    return None if check == 10 else check


def tax_code(raw: str) -> str:
    """Mã số doanh nghiệp / mã số thuế: 10 digits, or 13 for a branch, written 0101234567-001."""
    value = re.sub(r"\s", "", raw)
    match = re.fullmatch(r"(\d{10})(?:-?(\d{3}))?", value)
    if match is None:
        raise InvalidIdentifier(
            _l("Enter a tax code of 10 digits, or 13 digits for a branch (like 0101234567-001)")
        )
    main, branch = match.groups()
    if tax_check_digit(main[:9]) != int(main[9]):
        raise InvalidIdentifier(_l("This tax code does not exist: check for a typing mistake"))
    if branch == "000":
        raise InvalidIdentifier(_l("A branch number runs from 001 to 999"))
    return f"{main}-{branch}" if branch else main


def phone(raw: str) -> str:
    """A Vietnamese phone number in its national form: mobile 0[35789]xxxxxxxx, fixed 02xxxxxxxxx."""
    value = _SEPARATORS.sub("", raw)
    if value.startswith("+84"):
        value = "0" + value[3:]
    elif value.startswith("84") and len(value) in (11, 12):
        value = "0" + value[2:]
    if not (re.fullmatch(r"0[35789]\d{8}", value) or re.fullmatch(r"02\d{9}", value)):
        raise InvalidIdentifier(_l("Enter a Vietnamese phone number, like 0912 345 678 or +84 912 345 678"))
    return value
