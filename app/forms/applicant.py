"""The applicant section (chủ hồ sơ) filled from the signed-in applicant's profile.

The procedure's applicant mapping (app/catalog/schema.py, ApplicantMapping) names the fields
that hold the applicant's name, identifier, contact details and kind; the profile's particulars
answer them. A particular the identity provider vouched for (Account.verified) is locked: shown
read-only with a "verified" mark, and whatever a POST sends for it the verified value is kept
(app/journey/views.py substitutes it before the step is checked).

Particulars are plain values here (the accounts layer is below the catalog): a mapping from our
particular names (name, personal_id, tax_code, representative_name, address, email, phone, kind)
to values, and the names of those verified."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from app.catalog.conditions import condition_holds
from app.catalog.schema import ApplicantKind, Procedure
from app.catalog.schema import FormField as Spec
from app.forms.fields import Answer, formdata_for

# Field types that take a particular as it is written (a structured address does not).
TEXT_TYPES = frozenset({"text", "textarea", "email", "phone", "personal_id", "tax_code"})


@dataclass(frozen=True)
class Prefill:
    answers: dict[str, Answer] = field(default_factory=dict)  # field name -> the profile's answer
    locked: dict[str, Answer] = field(default_factory=dict)  # those of verified particulars


def from_profile(
    definition: Procedure, particulars: Mapping[str, str | None], verified: Collection[str]
) -> Prefill:
    """The answers the profile gives to the applicant section of `definition`.

    The kind first: which of several candidate fields is asked (the name of a person or of an
    organisation) depends on it. Of a list of candidates the first one shown for that kind is
    filled (the first one, when the procedure does not map its kind question); identifiers go
    to every field of their type (personal_id, tax_code), hidden ones are dropped on saving."""
    mapping = definition.form.applicant
    kind = particulars.get("kind")
    answers: dict[str, Answer] = {}
    locked: dict[str, Answer] = {}

    def give(name: str, particular: str, value: Answer) -> None:
        if value in (None, "") or name in answers:
            return
        answers[name] = value
        if particular in verified:
            locked[name] = value

    if mapping.kind and kind:
        for option in definition.field_named(mapping.kind).options or []:
            means = mapping.kind_values.get(option.value) or (
                option.value if option.value in set(ApplicantKind) else None
            )
            if means == kind:
                give(mapping.kind, "kind", option.value)
                break
    for key in ("name", "email", "phone", "address", "representative_name"):
        candidates = [
            spec for spec in map(definition.field_named, getattr(mapping, key)) if spec.type in TEXT_TYPES
        ]
        shown = [spec for spec in candidates if condition_holds(spec.show_if, answers)]
        for spec in (shown or candidates)[:1]:
            give(spec.name, key, particulars.get(key))
    for name in mapping.identifier:
        spec = definition.field_named(name)
        if spec.type in ("personal_id", "tax_code"):
            give(name, spec.type, particulars.get(spec.type))
    return Prefill(answers, locked)


def with_locked(
    step_fields: list[Spec], formdata: MultiDict[str, str], locked: Mapping[str, Answer]
) -> MultiDict[str, str]:
    """The posted input with the step's locked fields set to their verified values, whatever was
    sent (a browser sends nothing for a disabled radio; a forged POST anything)."""
    ours = [spec for spec in step_fields if spec.name in locked]
    if not ours:
        return formdata
    kept: MultiDict[str, str] = MultiDict(
        [
            (k, v)
            for k, v in formdata.items(multi=True)
            if all(k != s.name and not k.startswith(f"{s.name}-") for s in ours)
        ]
    )
    for spec in ours:
        for key, value in formdata_for(spec, spec.name, locked[spec.name]):
            kept.add(key, value)
    return kept


def mark_locked(form: Any, locked: Mapping[str, Answer]) -> None:
    """Render the locked fields of a step's form read-only, with the "verified" mark (macros.html)."""
    for name in locked:
        if name not in form._fields:
            continue
        field = form[name]
        choice = field.type in ("RadioField", "SelectField")
        field.render_kw = {
            **(field.render_kw or {}),
            "data-verified": "true",
            **({"disabled": True} if choice else {"readonly": True}),
        }
