"""Questions answered by picking from the definition's options: a list, radio buttons, tick boxes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from flask_babel import lazy_gettext as _l
from pydantic import Field as Limit
from wtforms import Field, Form, RadioField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms (3.2) lacks it
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.fields.base import Check, FieldType, Options, Problem, Spec, field_type
from app.i18n import current_locale
from app.texts import Localized

DEMO_OPTIONS = [
    {"value": "water", "label": {"vi": "Nước", "en": "Water"}},
    {"value": "air", "label": {"vi": "Không khí", "en": "Air"}},
]


class ChoiceType(FieldType):
    required_message = _l("Select an option")
    template = "fields/choices.html"
    demo = {"options": DEMO_OPTIONS}

    def problems(self, spec: Spec) -> Iterator[Problem]:
        if spec.fields:
            yield "fields", f"a {self.name} field takes no sub-fields"
        if not spec.options:
            yield "options", f"a {self.name} field needs options"
            return
        values = [o.value for o in spec.options]
        for index, value in enumerate(values):
            if value in values[:index]:
                yield f"options[{index}].value", f"option value {value!r} is given twice"

    def field_kwargs(self, spec: Spec) -> dict[str, Any]:
        return {
            "choices": [SelectChoice(o.value, Localized(o.label)) for o in spec.options or []],
            "validate_choice": False,
        }

    def validators(self, spec: Spec) -> list[Check]:
        allowed = {o.value for o in spec.options or []}

        def check(form: Form, field: Field) -> None:
            if field.data not in allowed:
                raise ValidationError(str(_l("Select one of the options")))

        return [check]

    def display(self, spec: Spec, value: Any) -> str:
        labels = {o.value: o.label.get(current_locale()) for o in spec.options or []}
        return labels.get(value, "") if value is not None else ""

    def reading(self, field: Field) -> Any:
        return field.data

    def sample(self, spec: Spec) -> Any:
        return spec.options[0].value


@field_type
class SelectType(ChoiceType):
    name = "select"
    template = "fields/input.html"

    def field_class(self, spec: Spec) -> type[Field]:
        return SelectField

    def field_kwargs(self, spec: Spec) -> dict[str, Any]:
        kwargs = super().field_kwargs(spec)
        kwargs["choices"] = [SelectChoice("", _l("Choose…")), *kwargs["choices"]]
        return kwargs


@field_type
class RadioType(ChoiceType):
    name = "radio"

    def field_class(self, spec: Spec) -> type[Field]:
        return RadioField


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CheckboxesOptions(Options):
    min_choices: Annotated[int, Limit(ge=0)] | None = None
    max_choices: Annotated[int, Limit(ge=1)] | None = None

    def problems(self) -> Iterator[Problem]:
        least, most = self.min_choices, self.max_choices
        if least is not None and most is not None and least > most:
            yield "min_choices", f"min_choices {least} is larger than max_choices {most}"


@field_type
class CheckboxesType(ChoiceType):
    name = "checkboxes"
    options = CheckboxesOptions
    required_message = _l("Select at least one option")

    def problems(self, spec: Spec) -> Iterator[Problem]:
        yield from super().problems(spec)
        v: CheckboxesOptions = spec.validation
        count = len(spec.options or [])
        if spec.options and v.min_choices is not None and v.min_choices > count:
            yield "validation.min_choices", f"min_choices {v.min_choices} is more than the {count} options"

    def field_class(self, spec: Spec) -> type[Field]:
        return CheckboxesField

    def validators(self, spec: Spec) -> list[Check]:
        allowed = {o.value for o in spec.options or []}
        v: CheckboxesOptions = spec.validation
        least = v.min_choices or 0
        most = v.max_choices

        def check(form: Form, field: Field) -> None:
            if any(value not in allowed for value in field.data):
                raise ValidationError(str(_l("Select one of the options")))
            field.data = [o.value for o in spec.options or [] if o.value in field.data]  # definition order
            if len(field.data) < least:
                raise ValidationError(str(_l("Select at least %(num)d options", num=least)))
            if most is not None and len(field.data) > most:
                raise ValidationError(str(_l("Select at most %(num)d options", num=most)))

        return [check]

    def formdata(self, spec: Spec, key: str, value: Any) -> list[tuple[str, str]]:
        return [(key, v) for v in value or []]

    def display(self, spec: Spec, value: Any) -> str:
        labels = {o.value: o.label.get(current_locale()) for o in spec.options or []}
        return "; ".join(labels[v] for v in value or [] if v in labels)

    def sample(self, spec: Spec) -> list[str]:
        v: CheckboxesOptions = spec.validation
        return [o.value for o in spec.options[: max(v.min_choices or 1, 1)]]
