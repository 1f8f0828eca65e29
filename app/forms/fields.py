"""The form's view of the field types, which live in `app.fields` (one class per type)."""

from __future__ import annotations

from app.catalog.schema import FormField as Spec
from app.fields import Answer, Pairs, field_types, kind_of

__all__ = ["Answer", "Pairs", "display", "field_types", "formdata_for", "kind_of"]


def formdata_for(spec: Spec, key: str, value: Answer) -> Pairs:
    """The form input that gives back `value`: the same path as a posted step."""
    return spec.kind.formdata(spec, key, value)


def display(spec: Spec, value: Answer) -> str:
    """The answer as a person reads it, in the request's language."""
    return spec.kind.display(spec, value)
