"""What a dossier needs for its answers: the documents of the chosen case (trường hợp), the
authorisation when an authorised person files it, who applies (kind, submitter, liên danh)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.catalog.cases import Case, Unit, chosen_case, processing_time
from app.catalog.schema import ApplicantKind, Component, Procedure
from app.dossiers.fees import FeeDue, fees_due, total
from app.forms.components import authorised, slots
from app.forms.fields import display


@dataclass(frozen=True)
class Needed:
    component: Component
    required: bool  # for these answers (in one entry at least, for a document per entry)


def documents_needed(definition: Procedure, answers: dict[str, Any]) -> list[Needed]:
    """The documents asked for these answers, once each, in the definition's order (the slots
    of app/forms/components.py, a document per entry counted once)."""
    found: dict[str, Needed] = {}
    for slot in slots(definition, answers):
        before = found.get(slot.code)
        found[slot.code] = Needed(slot.component, slot.required or (before is not None and before.required))
    return list(found.values())


def applicant_kind(definition: Procedure, answers: dict[str, Any]) -> ApplicantKind | None:
    """Who applies: the procedure's only kind, or the answer that says which; None when the
    definition cannot tell (a back office then guesses from the identifier)."""
    if len(definition.applicant_kinds) == 1:
        return definition.applicant_kinds[0]
    mapping = definition.form.applicant
    value = answers.get(mapping.kind) if mapping.kind else None
    if not isinstance(value, str):
        return None
    if value in mapping.kind_values:
        return mapping.kind_values[value]
    return ApplicantKind(value) if value in set(ApplicantKind) else None


def _first(definition: Procedure, answers: dict[str, Any], names: list[str]) -> str | None:
    for name in names:
        value = answers.get(name)
        if value:
            return display(definition.field_named(name), value)
    return None


def submitter_of(definition: Procedure, answers: dict[str, Any]) -> dict[str, str | None] | None:
    """The authorised person filing the dossier, or None when the applicant files it."""
    submitter = definition.form.applicant.submitter
    if submitter is None or not authorised(definition, answers):
        return None
    return {
        "name": _first(definition, answers, submitter.name),
        "identifier": _first(definition, answers, submitter.identifier),
        "phone": _first(definition, answers, submitter.phone),
    }


def co_applicants_of(definition: Procedure, answers: dict[str, Any]) -> list[dict[str, str | None]]:
    """The other members of a liên danh, in the order given."""
    co = definition.form.applicant.co_applicants
    if co is None:
        return []
    group = definition.field_named(co.group)
    specs = {f.name: f for f in group.fields or []}
    entries = answers.get(co.group) or []

    def shown(entry: dict[str, Any], name: str | None) -> str | None:
        if name is None or not entry.get(name):
            return None
        return display(specs[name], entry[name]) or None

    return [
        {
            "name": shown(entry, co.name),
            "identifier": shown(entry, co.identifier),
            "address": shown(entry, co.address),
        }
        for entry in entries
        if isinstance(entry, dict) and entry.get(co.name)
    ]


@dataclass(frozen=True)
class Facts:
    """What the answers decide beyond themselves, for the review page and the declaration."""

    case: Case | None
    processing_days: int
    processing_unit: Unit
    fees: list[FeeDue]
    known_total: int  # fees whose amount is known now
    kind: ApplicantKind | None
    submitter: dict[str, str | None] | None
    co_applicants: list[dict[str, str | None]]

    @property
    def any_decided_later(self) -> bool:
        return any(f.amount is None for f in self.fees)


def facts_of(definition: Procedure, answers: dict[str, Any]) -> Facts:
    days, unit = processing_time(definition, answers)
    due = fees_due(definition, answers)
    return Facts(
        case=chosen_case(definition, answers),
        processing_days=days,
        processing_unit=unit,
        fees=due,
        known_total=total(due),
        kind=applicant_kind(definition, answers),
        submitter=submitter_of(definition, answers),
        co_applicants=co_applicants_of(definition, answers),
    )
