"""A dossier's answers as a person reads them: on the review page and in the declaration PDF."""

from __future__ import annotations

from dataclasses import dataclass

from app.catalog.conditions import condition_holds
from app.catalog.loader import LoadedProcedure
from app.catalog.schema import FormField, Procedure, Step
from app.fields import Figure
from app.fields.group import GroupType
from app.forms.builder import answers_formdata, step_form_class
from app.forms.fields import Answer, display


@dataclass(frozen=True)
class Row:
    spec: FormField
    shown: str  # the answer as text ("" when not answered); empty for groups
    group_rows: list[list[tuple[str, str]]] | None  # (label, answer) per entry, for groups
    figure: Figure | None = None  # a drawing of the answer (a polygon's shape), under its text


@dataclass(frozen=True)
class Section:
    step: Step
    index: int
    rows: list[Row]
    complete: bool  # every visible answer passes its checks now


def shown_answers(definition: Procedure, answers: dict[str, Answer]) -> dict[str, Answer]:
    """The answers with those of questions now hidden by their conditions taken out (None),
    in entries of groups too: an answer kept from before an earlier step changed is not sent."""
    kept = dict(answers)
    for step in definition.form.steps:
        for spec in step.fields:
            if spec.name in kept:
                kept[spec.name] = _shown(spec, kept.get(spec.name), kept)
    return kept


def _shown(spec: FormField, value: Answer, lookup: dict[str, Answer]) -> Answer:
    if not condition_holds(spec.show_if, lookup):
        return None
    if spec.type != "group" or not isinstance(value, list):
        return value
    rows = []
    for row in value:
        entry: dict[str, Answer] = {}
        for sub in spec.fields or []:
            entry[sub.name] = _shown(sub, row.get(sub.name) if isinstance(row, dict) else None, entry)
        rows.append(entry)
    return rows


def sections(procedure: LoadedProcedure, answers: dict[str, Answer]) -> list[Section]:
    """Each step's visible answers, in the request's language, checked again as a whole."""
    found = []
    for index, step in enumerate(procedure.definition.form.steps):
        form = step_form_class(procedure, step.id)(
            formdata=answers_formdata(step, answers), meta={"csrf": False}
        )
        complete = form.validate_step(answers)
        rows = []
        for name in form.visible(answers):
            spec = form.specs[name]
            value = answers.get(name)
            kind = spec.kind
            if isinstance(kind, GroupType):
                rows.append(Row(spec, "", kind.rows(spec, value)))
            else:
                rows.append(Row(spec, display(spec, value), None, kind.figure(spec, value)))
        found.append(Section(step, index, rows, complete))
    return found
