"""What every field type is: the base class, its options schema, the registry, shared checks.

A field type owns everything about one kind of question: what `validation:` may say for it (its
options schema, checked when the catalog loads), the WTForms field it builds, how the typed text
becomes the stored answer and back, how the answer reads on the review page and in the
declaration PDF, the Jinja macro that renders it, and a sample answer the tests use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, Protocol, TypeVar, cast

from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict
from wtforms import Field, Form, StringField
from wtforms.validators import StopValidation

from app.fields.figures import Figure
from app.texts import Localized, Text

Answer = Any  # JSON-serialisable: str, int, list, dict, or None for no answer
Pairs = list[tuple[str, str]]
Check = Callable[[Form, Field], None]
Problem = tuple[str, str]  # (path inside the field's definition, reason)


class Spec(Protocol):
    """A field's definition as the catalog schema gives it (app.catalog.schema.FormField): read
    only, as that model is frozen."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def label(self) -> Text: ...
    @property
    def help(self) -> Text | None: ...
    @property
    def example(self) -> str | None: ...
    @property
    def required(self) -> bool: ...
    @property
    def validation(self) -> Any: ...
    @property
    def options(self) -> Any: ...
    @property
    def fields(self) -> Any: ...
    @property
    def min_entries(self) -> int: ...
    @property
    def max_entries(self) -> int: ...
    @property
    def add_label(self) -> Text | None: ...
    @property
    def show_if(self) -> Any: ...
    @property
    def rules(self) -> Any: ...


def lazy_text(text: Text) -> str:
    """`text` in each request's language, as a WTForms label or description. WTForms only str()s
    or escapes these, so a Localized does; its stubs ask for a str, and a str made here would fix
    the language once, when the step's form class is built."""
    return cast(str, Localized(text))


class Options(BaseModel):
    """What `validation:` may say for a field type; a type without options accepts none."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def problems(self) -> Iterator[Problem]:
        """Limits that no answer can meet; the catalog check refuses them."""
        return iter(())


class Invalid(ValueError):
    """The typed text cannot be an answer; `message` is translated when shown."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


def is_blank(data: object) -> bool:
    return data is None or (isinstance(data, str) and not data.strip()) or data == []


class Required:
    def __init__(self, message: object) -> None:
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if is_blank(field.data):
            field.errors = []
            raise StopValidation(str(self.message))


class Optional:
    """An empty answer is valid and stored as nothing; stop the other checks."""

    def __call__(self, form: Form, field: Field) -> None:
        if is_blank(field.data):
            field.data = [] if isinstance(field.data, list) else None
            field.errors = []
            raise StopValidation()


class Convert:
    """Replace the typed text by its canonical value, or fail with the parser's message."""

    def __init__(self, parse: Callable[[str], Any]) -> None:
        self.parse = parse

    def __call__(self, form: Form, field: Field) -> None:
        try:
            field.data = self.parse(field.data.strip())
        except Invalid as exc:
            raise StopValidation(str(exc.message)) from None


class FieldType:
    """One kind of question. Subclasses set `name` and override what differs."""

    name: ClassVar[str]
    options: ClassVar[type[Options]] = Options
    template: ClassVar[str] = "fields/input.html"  # its macro is `render(field, spec, condition)`
    required_message: ClassVar[object] = _l("Enter an answer")
    input_attrs: ClassVar[dict[str, str]] = {}
    # What a definition of this type needs besides name, type and label (options, sub-fields),
    # for the contract test and for documentation.
    demo: ClassVar[dict[str, Any]] = {}

    def problems(self, spec: Spec) -> Iterator[Problem]:
        """What is wrong with a definition of this type beyond its options schema."""
        if spec.options:
            yield "options", f"a {self.name} field takes no options"
        if spec.fields:
            yield "fields", f"a {self.name} field takes no sub-fields"
        if spec.rules:
            yield "rules", "only a group takes rules (a step's rules compare its fields)"

    def step_problems(self, spec: Spec, earlier: Sequence[Spec]) -> Iterator[Problem]:
        """What is wrong with the definition's references to `earlier` questions of its step
        (a polygon's declared area field, say); paths are inside the field's definition."""
        return iter(())

    def validators(self, spec: Spec) -> list[Check]:
        """Type-specific checks, run after the emptiness check."""
        return []

    def field_class(self, spec: Spec) -> type[Field]:
        return StringField

    def field_kwargs(self, spec: Spec) -> dict[str, Any]:
        return {"render_kw": dict(self.input_attrs)} if self.input_attrs else {}

    def build(self, spec: Spec) -> Any:
        first = Required(self.required_message) if spec.required else Optional()
        return self.field_class(spec)(
            label=lazy_text(spec.label),
            description=lazy_text(spec.help) if spec.help else "",
            validators=[first, *self.validators(spec)],
            **self.field_kwargs(spec),
        )

    def answer(self, field: Field) -> Answer:
        """The stored answer of a validated field (None for no answer)."""
        return field.data

    def reading(self, field: Field) -> Answer:
        """The answer as far as a condition needs it, from input not yet checked (None when it
        cannot be read): what shows or hides the questions that depend on it."""
        return None

    def formdata(self, spec: Spec, key: str, value: Answer) -> Pairs:
        """The form input, in the request's language, that gives back `value` (to refill a step)."""
        return [] if value is None else [(key, str(value))]

    def display(self, spec: Spec, value: Answer) -> str:
        """The answer as a person reads it, in the request's language ("" for no answer)."""
        return "" if value is None else str(value)

    def figure(self, spec: Spec, value: Answer) -> Figure | None:
        """A drawing of the answer, beside its text on the review page (SVG) and in the
        declaration PDF; None for most types, and for no answer."""
        return None

    def aria(self, field: Field, spec: Spec | None = None) -> dict[str, str]:
        """The attributes that tie an input to its hint, example and error (never a None value)."""
        ids = []
        if spec is not None and spec.help:
            ids.append(f"{field.id}-hint")
        if spec is not None and spec.example:
            ids.append(f"{field.id}-example")
        own = field.errors if isinstance(field.errors, list | tuple) else ()  # an address's are per part
        invalid = any(isinstance(e, str) for e in own)
        if invalid:
            ids.append(f"{field.id}-error")
        attrs = {"aria-describedby": " ".join(ids)} if ids else {}
        if invalid:
            attrs["aria-invalid"] = "true"
        return attrs

    def sample(self, spec: Spec) -> Answer:
        """A stored answer that passes every check of `spec`."""
        return spec.example or "Nguyễn Thị Thu Hà"


_registry: dict[str, FieldType] = {}
T = TypeVar("T", bound=type[FieldType])


def field_type(cls: T) -> T:
    """Register a field type under its `name`; a second type of the same name is refused."""
    if cls.name in _registry:
        raise RuntimeError(f"two field types are named {cls.name!r}")
    _registry[cls.name] = cls()
    return cls


def field_types() -> dict[str, FieldType]:
    """Every registered type by name, in the order they were registered."""
    return dict(_registry)


def kind_of(name: str) -> FieldType:
    return _registry[name]
