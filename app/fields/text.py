"""Free text on one line, or several."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated

from flask_babel import lazy_gettext as _l
from pydantic import Field as Limit
from pydantic import field_validator
from wtforms import Field, Form, TextAreaField
from wtforms.validators import ValidationError

from app.fields.base import Check, FieldType, Options, Problem, Spec, field_type
from app.texts import Localized, Text


class TextOptions(Options):
    min_length: Annotated[int, Limit(ge=0)] | None = None
    max_length: Annotated[int, Limit(ge=1)] | None = None
    pattern: str | None = None
    pattern_message: Text | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from exc
        return v

    def problems(self) -> Iterator[Problem]:
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            yield "min_length", f"min_length {self.min_length} is larger than max_length {self.max_length}"


@field_type
class TextType(FieldType):
    name = "text"
    options = TextOptions
    default_max = 500

    def problems(self, spec: Spec) -> Iterator[Problem]:
        yield from super().problems(spec)
        v: TextOptions = spec.validation
        if v.max_length is None and (v.min_length or 0) > self.default_max:
            yield (
                "validation.min_length",
                f"min_length {v.min_length} is larger than the {self.default_max} characters a {self.name} "
                "field takes at most",
            )
        if v.pattern:
            if spec.example is None:
                yield "example", "a field with a pattern needs an example that matches it"
            elif not re.fullmatch(v.pattern, spec.example):
                yield "example", f"the example {spec.example!r} does not match the pattern"

    def validators(self, spec: Spec) -> list[Check]:
        v: TextOptions = spec.validation
        most = v.max_length or self.default_max
        least = v.min_length or 0
        pattern = re.compile(v.pattern) if v.pattern else None
        pattern_message = (
            Localized(v.pattern_message)
            if v.pattern_message
            else _l("The answer is not in the expected format")
        )

        def check(form: Form, field: Field) -> None:
            field.data = field.data.strip()
            if len(field.data) > most:
                raise ValidationError(str(_l("Enter at most %(num)d characters", num=most)))
            if len(field.data) < least:
                raise ValidationError(str(_l("Enter at least %(num)d characters", num=least)))
            if pattern is not None and not pattern.fullmatch(field.data):
                raise ValidationError(str(pattern_message))

        return [check]

    def sample(self, spec: Spec) -> str:
        if spec.example:
            return spec.example
        v: TextOptions = spec.validation
        least = v.min_length or 0
        most = v.max_length or self.default_max
        text = "Nguyễn Thị Thu Hà"
        return (text if least <= len(text) <= most else "x" * max(least, 1))[:most]


@field_type
class TextareaType(TextType):
    name = "textarea"
    default_max = 5000

    def field_class(self, spec: Spec) -> type[Field]:
        return TextAreaField
