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

from app.catalog.schema import ApplicantKind, Procedure
from app.catalog.schema import FormField as Spec
from app.forms.fields import Answer, formdata_for

# Field types that take a particular as it is written (a structured address does not).
TEXT_TYPES = frozenset({"text", "textarea", "email", "phone", "personal_id", "tax_code"})


@dataclass(frozen=True)
class Prefill:
    answers: dict[str, Answer] = field(default_factory=dict)  # field name -> the profile's answer
    locked: dict[str, Answer] = field(default_factory=dict)  # those of verified particulars


def _identifier_particular(spec: Spec, kind: str | None) -> str:
    if spec.type in ("personal_id", "tax_code"):
        return spec.type
    return "tax_code" if kind == "business" else "personal_id"


def from_profile(
    definition: Procedure, particulars: Mapping[str, str | None], verified: Collection[str]
) -> Prefill:
    """The answers the profile gives to the applicant section of `definition`."""
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

    simple = {
        "name": "name",
        "email": "email",
        "phone": "phone",
        "address": "address",
        "representative_name": "representative_name",
    }
    for key, particular in simple.items():
        for name in getattr(mapping, key):
            spec = definition.field_named(name)
            if spec.type in TEXT_TYPES:
                give(name, particular, particulars.get(particular))
                break
    for name in mapping.identifier:
        spec = definition.field_named(name)
        if spec.type in TEXT_TYPES:
            particular = _identifier_particular(spec, kind)
            give(name, particular, particulars.get(particular))
    if mapping.kind and kind:
        spec = definition.field_named(mapping.kind)
        for option in spec.options or []:
            means = mapping.kind_values.get(option.value) or (
                ApplicantKind(option.value) if option.value in set(ApplicantKind) else None
            )
            if means == kind:
                give(mapping.kind, "kind", option.value)
                break
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
