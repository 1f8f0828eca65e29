"""A day: typed as 31/12/2024 (or by the browser's date picker as 2024-12-31), shown as 31/12/2024."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from app.clock import today
from app.fields.base import Check, Convert, FieldType, Invalid, Options, Problem, Spec, field_type
from app.i18n import day


class DateOptions(Options):
    not_future: bool = False
    not_past: bool = False

    def problems(self) -> Iterator[Problem]:
        if self.not_future and self.not_past:
            yield "not_past", "not_future and not_past together leave only today"


def parse_day(text: str) -> date:
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    local = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if local:
            return date(int(local[3]), int(local[2]), int(local[1]))
    except ValueError:
        pass
    raise Invalid(_l("Enter a real date, like 31/12/2024"))


@field_type
class DateType(FieldType):
    name = "date"
    options = DateOptions
    required_message = _l("Enter a date")
    input_attrs = {"type": "date"}

    def validators(self, spec: Spec) -> list[Check]:
        v: DateOptions = spec.validation

        def parse(text: str) -> str:
            value = parse_day(text)
            if value.year < 1900:
                raise Invalid(_l("Enter a date after 1900"))
            now = today()
            if v.not_future and value > now:
                raise Invalid(_l("The date must be today or in the past"))
            if v.not_past and value < now:
                raise Invalid(_l("The date must be today or in the future"))
            return value.isoformat()

        return [Convert(parse)]

    def display(self, spec: Spec, value: Any) -> str:
        return "" if value is None else day(date.fromisoformat(value))

    def sample(self, spec: Spec) -> str:
        v: DateOptions = spec.validation
        return (today() + timedelta(days=30) if v.not_past else today() - timedelta(days=400)).isoformat()
