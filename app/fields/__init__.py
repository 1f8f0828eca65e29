"""Field types: one class per kind of question, registered by name (see `base`).

The built-in types register themselves when this package is imported. Adding a type is one
module with a `@field_type` class (and its test); the catalog schema, the form builder, the
review page and the declaration all ask the registry.
"""

from __future__ import annotations

from app.fields import address, choices, dates, geometry, group, identifiers, numbers, text  # noqa: F401 (register)
from app.fields.base import Answer, FieldType, Invalid, Options, Pairs, Spec, field_type, field_types, kind_of
from app.fields.figures import Figure

__all__ = [
    "Answer",
    "FieldType",
    "Figure",
    "Invalid",
    "Options",
    "Pairs",
    "Spec",
    "field_type",
    "field_types",
    "kind_of",
]
