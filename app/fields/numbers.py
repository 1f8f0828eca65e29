"""Whole numbers and decimals, read and written the way the request's language writes them.

In Vietnamese "1.200" is one thousand two hundred and "12,5" twelve and a half; in English the
other way round. Babel's strict parsing accepts a number only when its separators are where the
language puts them, so "12.5" typed on a Vietnamese page is refused with the expected form shown,
never read as 125 or as 12.5 behind the applicant's back.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any

from babel.numbers import NumberFormatError, parse_decimal
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from pydantic import Field as Limit
from wtforms import Field

from app.fields.base import Check, Convert, FieldType, Invalid, Options, Problem, Spec, field_type
from app.i18n import current_locale

MOST_DIGITS = 15  # before the decimal separator: beyond that no one is counting


class NumberOptions(Options):
    min: float | None = None
    max: float | None = None

    def problems(self) -> Iterator[Problem]:
        if self.min is not None and self.max is not None and self.min > self.max:
            yield "min", f"min {_plain(self.min)} is larger than max {_plain(self.max)}"


class DecimalOptions(NumberOptions):
    places: Annotated[int, Limit(ge=0, le=6)] | None = None


def _plain(number: float | Decimal) -> str:
    return format(Decimal(str(number)).normalize(), "f")


def shown(number: Decimal | int) -> str:
    """A number in the request's language: 1.234,5 in Vietnamese, 1,234.5 in English."""
    if isinstance(number, int):
        return format_decimal(number)
    places = max(0, -int(number.as_tuple().exponent))
    return format_decimal(number, format="#,##0." + "0" * places if places else "#,##0")


def read(text: str, *, whole: bool) -> Decimal:
    """The number typed, in the request's language; spaces between digit groups are allowed."""
    cleaned = "".join(text.split()).replace("\u2212", "-")
    try:
        value = parse_decimal(cleaned, locale=current_locale(), strict=True)
    except NumberFormatError as exc:
        if getattr(exc, "suggestions", None):  # separators out of place: ambiguous, say the form
            example = shown(1234) if whole else shown(Decimal("1234.5"))
            raise Invalid(_l("Write the number like %(example)s", example=example)) from None
        raise Invalid(_example_message(whole)) from None
    if not value.is_finite() or value.adjusted() >= MOST_DIGITS:
        raise Invalid(_example_message(whole))
    return value


def _example_message(whole: bool) -> object:
    if whole:
        return _l("Enter a whole number, like 12")
    return _l("Enter a number, like %(example)s", example=shown(Decimal("12.5")))


def _bounds(options: NumberOptions, value: Decimal) -> None:
    if options.min is not None and value < Decimal(str(options.min)):
        raise Invalid(_l("Enter a number of at least %(num)s", num=shown(Decimal(_plain(options.min)))))
    if options.max is not None and value > Decimal(str(options.max)):
        raise Invalid(_l("Enter a number of at most %(num)s", num=shown(Decimal(_plain(options.max)))))


def _reading(data: Any, *, whole: bool) -> Decimal | None:
    if isinstance(data, int | Decimal):  # already checked
        return Decimal(data)
    if not isinstance(data, str) or not data.strip():
        return None
    try:
        return read(data, whole=whole)
    except Invalid:
        return None


def _middle(options: NumberOptions) -> Decimal:
    low = Decimal(str(options.min)) if options.min is not None else Decimal(1)
    high = Decimal(str(options.max)) if options.max is not None else low + 100
    return low + (high - low) / 2


@field_type
class IntegerType(FieldType):
    name = "integer"
    options = NumberOptions
    input_attrs = {"inputmode": "numeric", "autocomplete": "off"}

    def validators(self, spec: Spec) -> list[Check]:
        def parse(text: str) -> int:
            value = read(text, whole=True)
            if value != value.to_integral_value():
                raise Invalid(_l("Enter a whole number, like 12"))
            _bounds(spec.validation, value)
            return int(value)

        return [Convert(parse)]

    def reading(self, field: Field) -> Any:
        return _reading(field.data, whole=True)

    def formdata(self, spec: Spec, key: str, value: Any) -> list[tuple[str, str]]:
        return [] if value is None else [(key, shown(int(value)))]

    def display(self, spec: Spec, value: Any) -> str:
        return "" if value is None else shown(int(value))

    def sample(self, spec: Spec) -> int:
        return int(_middle(spec.validation))


@field_type
class DecimalType(FieldType):
    """Stored as a string so that no binary rounding creeps in ("12.50" stays 12.50)."""

    name = "decimal"
    options = DecimalOptions
    input_attrs = {"inputmode": "decimal", "autocomplete": "off"}

    def validators(self, spec: Spec) -> list[Check]:
        places = spec.validation.places

        def parse(text: str) -> str:
            value = read(text, whole=False)
            if places is not None and -int(value.as_tuple().exponent) > places:
                raise Invalid(_l("Enter at most %(num)d decimal places", num=places))
            _bounds(spec.validation, value)
            return str(value)

        return [Convert(parse)]

    def reading(self, field: Field) -> Any:
        return _reading(field.data, whole=False)

    def formdata(self, spec: Spec, key: str, value: Any) -> list[tuple[str, str]]:
        return [] if value is None else [(key, shown(Decimal(value)))]

    def display(self, spec: Spec, value: Any) -> str:
        return "" if value is None else shown(Decimal(value))

    def sample(self, spec: Spec) -> str:
        places = spec.validation.places
        value = _middle(spec.validation).quantize(Decimal(1).scaleb(-(2 if places is None else places)))
        return str(value)
