"""Field types: one class per type, registered by name.

Each type knows how to build its WTForms field from a definition, turn the validated input
into the stored answer, turn a stored answer back into form input, and show the answer to
a person (review page, PDF).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from email_validator import EmailNotValidError, validate_email
from flask_babel import format_date, format_decimal
from flask_babel import lazy_gettext as _l
from wtforms import (
    Field,
    FieldList,
    Form,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import FormField as WTFormField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app import clock
from app.catalog.schema import FormField as Spec
from app.forms import identifiers
from app.forms.text import Localized
from app.i18n import current_locale

Answer = Any  # JSON-serialisable: str, int, list, dict
Pairs = list[tuple[str, str]]

FIELD_TYPES: dict[str, FieldType] = {}


def field_type(cls: type[FieldType]) -> type[FieldType]:
    """Register a field type under its `name`; a second type of the same name is refused."""
    if cls.name in FIELD_TYPES:
        raise RuntimeError(f"two field types are named {cls.name!r}")
    FIELD_TYPES[cls.name] = cls()
    return cls


# --- validators shared by the types -----------------------------------------------------------


def _is_blank(data: object) -> bool:
    return data is None or (isinstance(data, str) and not data.strip()) or data == []


class Required:
    def __init__(self, message: object) -> None:
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if _is_blank(field.data):
            field.errors[:] = []
            raise StopValidation(str(self.message))


class Optional:
    """An empty answer is valid and stored as nothing; stop the other checks."""

    def __call__(self, form: Form, field: Field) -> None:
        if _is_blank(field.data):
            field.data = [] if isinstance(field.data, list) else None
            field.errors[:] = []
            raise StopValidation()


class Convert:
    """Replace the typed text by its canonical value, or fail with the parser's message."""

    def __init__(self, parse: Callable[[str], Any]) -> None:
        self.parse = parse

    def __call__(self, form: Form, field: Field) -> None:
        try:
            field.data = self.parse(field.data.strip())
        except identifiers.InvalidIdentifier as exc:
            raise StopValidation(str(exc.message)) from None


def _fail(message: object) -> None:
    raise identifiers.InvalidIdentifier(message)


# --- the types ------------------------------------------------------------------------------


class FieldType:
    name: ClassVar[str]
    required_message: ClassVar[object] = _l("Enter an answer")

    def validators(self, spec: Spec) -> list[Callable[[Form, Field], None]]:
        """Type-specific checks, run after the emptiness check."""
        return []

    def field_class(self, spec: Spec) -> type[Field]:
        return StringField

    def field_kwargs(self, spec: Spec) -> dict[str, Any]:
        return {}

    def build(self, spec: Spec) -> Any:
        first = Required(self.required_message) if spec.required else Optional()
        return self.field_class(spec)(
            label=Localized(spec.label),
            description=Localized(spec.help) if spec.help else "",
            validators=[first, *self.validators(spec)],
            **self.field_kwargs(spec),
        )

    def answer(self, field: Field) -> Answer:
        """The stored answer of a validated field (None for no answer)."""
        return field.data

    def formdata(self, key: str, value: Answer) -> Pairs:
        """The form input that gives back `value` (to refill a step from stored answers)."""
        return [] if value is None else [(key, str(value))]

    def display(self, spec: Spec, value: Answer) -> str:
        return "" if value is None else str(value)


@field_type
class TextType(FieldType):
    name = "text"
    default_max = 500

    def validators(self, spec: Spec) -> list[Callable[[Form, Field], None]]:
        v = spec.validation
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


@field_type
class TextareaType(TextType):
    name = "textarea"
    default_max = 5000

    def field_class(self, spec: Spec) -> type[Field]:
        return TextAreaField


def _number_bounds(spec: Spec, value: Decimal | int) -> None:
    v = spec.validation
    if v.min is not None and value < Decimal(str(v.min)):
        _fail(_l("Enter a number of at least %(num)s", num=_plain(v.min)))
    if v.max is not None and value > Decimal(str(v.max)):
        _fail(_l("Enter a number of at most %(num)s", num=_plain(v.max)))


def _plain(number: float) -> str:
    return format_decimal(Decimal(str(number)).normalize())


@field_type
class IntegerType(FieldType):
    name = "integer"

    def validators(self, spec: Spec) -> list[Callable[[Form, Field], None]]:
        def parse(text: str) -> int:
            cleaned = text.replace(" ", "")
            if not re.fullmatch(r"-?\d{1,15}", cleaned):
                _fail(_l("Enter a whole number, like 12"))
            value = int(cleaned)
            _number_bounds(spec, value)
            return value

        return [Convert(parse)]

    def display(self, spec: Spec, value: Answer) -> str:
        return "" if value is None else format_decimal(value)


@field_type
class DecimalType(FieldType):
    """Stored as a string so that no binary rounding creeps in ("12.50" stays 12.50)."""

    name = "decimal"

    def validators(self, spec: Spec) -> list[Callable[[Form, Field], None]]:
        places = spec.validation.places

        def parse(text: str) -> str:
            cleaned = text.replace(" ", "").replace(",", ".")
            if not re.fullmatch(r"-?\d{1,15}(\.\d+)?", cleaned):
                _fail(_l("Enter a number, like 12.5"))
            value = Decimal(cleaned)
            if places is not None and -value.as_tuple().exponent > places:
                _fail(_l("Enter at most %(num)d decimal places", num=places))
            _number_bounds(spec, value)
            return str(value)

        return [Convert(parse)]

    def display(self, spec: Spec, value: Answer) -> str:
        if value is None:
            return ""
        number = Decimal(value)
        return format_decimal(number, format="#,##0." + "#" * max(0, -number.as_tuple().exponent))


@field_type
class DateType(FieldType):
    """Accepts the browser's date input (2024-12-31) or the Vietnamese way of writing it (31/12/2024)."""

    name = "date"
    required_message = _l("Enter a date")

    def field_kwargs(self, spec: Spec) -> dict[str, Any]:
        return {"render_kw": {"type": "date"}}

    def validators(self, spec: Spec) -> list[Callable[[Form, Field], None]]:
        v = spec.validation

        def parse(text: str) -> str:
            iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
            local = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
            try:
                if iso:
                    day = date(int(iso[1]), int(iso[2]), int(iso[3]))
                elif local:
                    day = date(int(local[3]), int(local[2]), int(local[1]))
                else:
                    raise ValueError
            except ValueError:
                _fail(_l("Enter a real date, like 31/12/2024"))
            if day.year < 1900:
                _fail(_l("Enter a date after 1900"))
            today = _today()
            if v.not_future and day > today:
                _fail(_l("The date must be today or in the past"))
            if v.not_past and day < today:
                _fail(_l("The date must be today or in the future"))
            return day.isoformat()

        return [Convert(parse)]

    def display(self, spec: Spec, value: Answer) -> str:
        return "" if value is None else format_date(date.fromisoformat(value), format="medium")


def _today() -> date:
    return clock.today()


class ChoiceType(FieldType):
    required_message = _l("Select an option")

    def field_kwargs(self, spec: Spec) -> dict[str, Any]:
        return {
            "choices": [SelectChoice(o.value, Localized(o.label)) for o in spec.options or []],
            "validate_choice": False,
        }

    def validators(self, spec: Spec) -> list[Callable[[Form, Field], None]]:
        allowed = {o.value for o in spec.options or []}

        def check(form: Form, field: Field) -> None:
            if field.data not in allowed:
                raise ValidationError(str(_l("Select one of the options")))

        return [check]

    def display(self, spec: Spec, value: Answer) -> str:
        labels = {o.value: o.label.get(current_locale()) for o in spec.options or []}
        return labels.get(value, "") if value is not None else ""


@field_type
class SelectType(ChoiceType):
    name = "select"

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


@field_type
class CheckboxesType(ChoiceType):
    name = "checkboxes"
    required_message = _l("Select at least one option")

    def field_class(self, spec: Spec) -> type[Field]:
        return CheckboxesField

    def validators(self, spec: Spec) -> list[Callable[[Form, Field], None]]:
        allowed = {o.value for o in spec.options or []}
        least = spec.validation.min_choices or 0
        most = spec.validation.max_choices

        def check(form: Form, field: Field) -> None:
            if any(v not in allowed for v in field.data):
                raise ValidationError(str(_l("Select one of the options")))
            field.data = [o.value for o in spec.options or [] if o.value in field.data]  # definition order
            if len(field.data) < least:
                raise ValidationError(str(_l("Select at least %(num)d options", num=least)))
            if most is not None and len(field.data) > most:
                raise ValidationError(str(_l("Select at most %(num)d options", num=most)))

        return [check]

    def formdata(self, key: str, value: Answer) -> Pairs:
        return [(key, v) for v in value or []]

    def display(self, spec: Spec, value: Answer) -> str:
        labels = {o.value: o.label.get(current_locale()) for o in spec.options or []}
        return "; ".join(labels[v] for v in value or [] if v in labels)


@field_type
class EmailType(FieldType):
    name = "email"

    def field_kwargs(self, spec: Spec) -> dict[str, Any]:
        return {"render_kw": {"type": "email", "autocomplete": "email", "spellcheck": "false"}}

    def validators(self, spec: Spec) -> list[Callable[[Form, Field], None]]:
        def parse(text: str) -> str:
            try:
                return validate_email(text, check_deliverability=False).normalized
            except EmailNotValidError:
                _fail(_l("Enter an email address in the correct format, like name@example.com"))

        return [Convert(parse)]


class IdentifierType(FieldType):
    parse: ClassVar[Callable[[str], str]]
    input_kwargs: ClassVar[dict[str, str]] = {}

    def field_kwargs(self, spec: Spec) -> dict[str, Any]:
        return {"render_kw": dict(self.input_kwargs)}

    def validators(self, spec: Spec) -> list[Callable[[Form, Field], None]]:
        return [Convert(type(self).parse)]


@field_type
class PhoneType(IdentifierType):
    name = "phone"
    parse = staticmethod(identifiers.phone)
    input_kwargs = {"type": "tel", "autocomplete": "tel"}


@field_type
class PersonalIdType(IdentifierType):
    name = "personal_id"
    parse = staticmethod(identifiers.personal_id)
    input_kwargs = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}


@field_type
class TaxCodeType(IdentifierType):
    name = "tax_code"
    parse = staticmethod(identifiers.tax_code)
    input_kwargs = {"spellcheck": "false", "autocomplete": "off"}


ADDRESS_PARTS = (
    ("street", _l("House number and street")),
    ("ward", _l("Ward or commune")),
    ("province", _l("Province or city")),
)


@field_type
class AddressType(FieldType):
    """Street, ward and province: the two-level local government in force since July 2025."""

    name = "address"

    def build(self, spec: Spec) -> Any:
        parts = {
            key: StringField(
                label=label,
                validators=[Required(_l("Enter an answer")) if spec.required else Optional(), _limit(255)],
            )
            for key, label in ADDRESS_PARTS
        }
        return WTFormField(type("AddressForm", (Form,), parts), label=Localized(spec.label), separator="-")

    def answer(self, field: Field) -> Answer:
        data = {key: (field[key].data or "").strip() for key, _ in ADDRESS_PARTS}
        return data if any(data.values()) else None

    def formdata(self, key: str, value: Answer) -> Pairs:
        return [(f"{key}-{part}", value.get(part, "")) for part, _ in ADDRESS_PARTS] if value else []

    def display(self, spec: Spec, value: Answer) -> str:
        return ", ".join(value[p] for p, _ in ADDRESS_PARTS if value.get(p)) if value else ""


def _limit(most: int) -> Callable[[Form, Field], None]:
    def check(form: Form, field: Field) -> None:
        if field.data and len(field.data.strip()) > most:
            raise ValidationError(str(_l("Enter at most %(num)d characters", num=most)))

    return check


class GroupList(FieldList):
    """A repeatable group. Entirely blank rows are dropped before validation."""

    def __init__(self, *args: Any, spec: Spec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec

    def validate(self, form: Form, extra_validators: Any = ()) -> bool:
        self.entries = [e for e in self.entries if not _row_blank(e)]
        for index, entry in enumerate(self.entries):  # keep names in step with positions
            entry.name = entry.id = f"{self.name}-{index}"
        self.errors = []
        least = max(self.spec.min_entries, 1) if self.spec.required else 0
        if len(self.entries) < least:
            self.errors.append(str(_l("Add at least %(num)d entries", num=least)))
            return False
        if len(self.entries) > self.spec.max_entries:
            self.errors.append(str(_l("Add at most %(num)d entries", num=self.spec.max_entries)))
            return False
        valid = True
        for entry in self.entries:
            if not entry.validate(form):
                valid = False
                self.errors.append(entry.errors)
        return valid


def _row_blank(entry: Field) -> bool:
    return all(_is_blank(sub.data) for sub in entry.form)


@field_type
class GroupType(FieldType):
    name = "group"

    def build(self, spec: Spec) -> Any:
        parts = {sub.name: FIELD_TYPES[sub.type].build(sub) for sub in spec.fields or []}
        row_form = type(f"{spec.name.title()}Row", (Form,), parts)
        return GroupList(
            WTFormField(row_form),
            spec=spec,
            label=Localized(spec.label),
            min_entries=spec.min_entries,
            max_entries=spec.max_entries,
        )

    def answer(self, field: Field) -> Answer:
        subs = {sub.name: FIELD_TYPES[sub.type] for sub in field.spec.fields or []}
        return [{name: subs[name].answer(entry[name]) for name in subs} for entry in field.entries]

    def formdata(self, key: str, value: Answer) -> Pairs:
        raise NotImplementedError("groups are refilled through formdata_for(spec, …)")

    def display(self, spec: Spec, value: Answer) -> str:
        return ""  # shown as a table of rows: see rows()

    @staticmethod
    def rows(spec: Spec, value: Answer) -> list[list[tuple[str, str]]]:
        return [
            [(str(Localized(sub.label)), display(sub, row.get(sub.name))) for sub in spec.fields or []]
            for row in value or []
        ]


def formdata_for(spec: Spec, key: str, value: Answer) -> Pairs:
    if spec.type != "group":
        return FIELD_TYPES[spec.type].formdata(key, value)
    pairs: Pairs = []
    for index, row in enumerate(value or []):
        for sub in spec.fields or []:
            pairs.extend(formdata_for(sub, f"{key}-{index}-{sub.name}", row.get(sub.name)))
    return pairs


def display(spec: Spec, value: Answer) -> str:
    return FIELD_TYPES[spec.type].display(spec, value)
