"""The documents (thành phần hồ sơ) a dossier's answers ask for: those of the chosen case
(trường hợp), the authorisation only when an authorised person files it; one slot per component,
or one per entry of a repeatable group (`per_entry_of`), each required or not as its
`required_when` says for these answers. The documents page, the review, the submission check, the declaration
and the package manifest all read them from here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from app.catalog.cases import case_components, chosen_case
from app.catalog.conditions import condition_holds
from app.catalog.schema import Component, Procedure
from app.fields.group import GroupType
from app.forms.answers import shown_answers
from app.forms.fields import Answer


class Given(Protocol):
    """A file given for a component (an Attachment row)."""

    component_code: str
    entry: int | None


@dataclass(frozen=True)
class Slot:
    """One place to attach: a component, for one entry of its group when it is per entry."""

    component: Component
    entry: int | None  # the entry's position in the group, 0 for the first
    entry_label: str | None  # "Well 2: GK-02", in the request's language
    required: bool  # for these answers

    @property
    def code(self) -> str:
        return self.component.code

    @property
    def anchor(self) -> str:
        """The id of its place on the documents page."""
        return f"component-{self.code}" if self.entry is None else f"component-{self.code}-{self.entry}"

    @property
    def file_id(self) -> str:
        """The id of its file input."""
        return f"file-{self.code}" if self.entry is None else f"file-{self.code}-{self.entry}"

    def name(self, locale: str) -> str:
        name = self.component.name.get(locale)
        return f"{name} ({self.entry_label})" if self.entry_label else name

    def holds(self, file: Given) -> bool:
        return file.component_code == self.code and file.entry == self.entry


def authorised(definition: Procedure, answers: dict[str, Answer]) -> bool:
    """Whether the dossier is filed by a person authorised by the applicant."""
    submitter = definition.form.applicant.submitter
    return submitter is not None and condition_holds(submitter.when, answers)


def asked(definition: Procedure, answers: dict[str, Answer]) -> list[tuple[Component, bool]]:
    """The components these answers ask for, in the definition's order, each with whether it is
    required before its own `required_when`: the chosen case's documents, and the authorisation
    (required then) only when an authorised person files the dossier."""
    submitter = definition.form.applicant.submitter
    by_proxy = authorised(definition, answers)
    found = []
    for component in case_components(definition, chosen_case(definition, answers)):
        if submitter is not None and component.code == submitter.document:
            if by_proxy:
                found.append((component, True))
            continue  # not asked when the applicant files in person
        found.append((component, component.required))
    return found


def slots(definition: Procedure, answers: dict[str, Answer]) -> list[Slot]:
    """Every slot, in the order of the definition's components, for the answers shown."""
    answers = shown_answers(definition, answers)
    found = []
    for component, needed in asked(definition, answers):
        if component.per_entry_of is None:
            required = needed and condition_holds(component.required_when, answers)
            found.append(Slot(component, None, None, required))
            continue
        group = definition.field_named(component.per_entry_of)
        kind = group.kind
        assert isinstance(kind, GroupType)  # the catalog check: per_entry_of names a group
        rows: list[dict[str, Any]] = answers.get(group.name) or []
        for index, row in enumerate(rows):
            lookup = {**answers, **row}
            required = needed and condition_holds(component.required_when, lookup)
            found.append(Slot(component, index, kind.entry_label(group, rows, index), required))
    return found


def stray(definition: Procedure, answers: dict[str, Answer], files: Iterable[Given]) -> list[Given]:
    """Files no slot holds any more: given for an entry that is gone from the answers, or for a
    document these answers do not ask (another case's; the authorisation once the applicant
    files in person). They are to be removed before signing."""
    taken = slots(definition, answers)
    return [f for f in files if not any(s.holds(f) for s in taken)]


def slot_of(definition: Procedure, answers: dict[str, Answer], file: Given) -> Slot | None:
    return next((s for s in slots(definition, answers) if s.holds(file)), None)
