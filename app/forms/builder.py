"""WTForms classes built from a procedure definition, once per procedure version and step."""

from __future__ import annotations

import threading
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.catalog.loader import LoadedProcedure
from app.catalog.schema import Condition, Step
from app.catalog.schema import FormField as Spec
from app.forms.fields import Answer, formdata_for
from app.texts import Localized

_classes: dict[tuple[str, str], type[StepForm]] = {}
_lock = threading.Lock()


def condition_holds(condition: Condition | None, lookup: dict[str, Answer]) -> bool:
    if condition is None:
        return True
    value = lookup.get(condition.field)
    if condition.equals is not None:
        return value == condition.equals
    if condition.any_of is not None:
        return value in condition.any_of
    return isinstance(value, list) and condition.checked in value


class StepForm(FlaskForm):
    """One step of a procedure's form. Fields hidden by a condition are neither checked nor kept."""

    step: Step
    specs: dict[str, Spec]

    def _lookup(self, answers: dict[str, Answer]) -> dict[str, Answer]:
        # Answers from this step (as posted) win over the stored ones.
        lookup = dict(answers)
        for name, spec in self.specs.items():
            if spec.type in ("select", "radio", "checkboxes"):
                lookup[name] = self[name].data
        return lookup

    def visible(self, answers: dict[str, Answer]) -> list[str]:
        lookup = self._lookup(answers)
        return [name for name, spec in self.specs.items() if condition_holds(spec.show_if, lookup)]

    def validate_step(self, answers: dict[str, Answer]) -> bool:
        """Check the CSRF token and every visible field (WTForms' validate() would check all)."""
        valid = True
        for name in ["csrf_token", *self.visible(answers)]:
            if name in self._fields and not self._fields[name].validate(self):
                valid = False
        return valid

    def step_answers(self, answers: dict[str, Answer]) -> dict[str, Answer]:
        """This step's answers after validate_step(): visible fields' values, hidden ones None."""
        shown = set(self.visible(answers))
        return {
            name: spec.kind.answer(self[name]) if name in shown else None for name, spec in self.specs.items()
        }


def step_form_class(procedure: LoadedProcedure, step_id: str) -> type[StepForm]:
    key = (procedure.version, step_id)
    cls = _classes.get(key)
    if cls is None:
        with _lock:
            cls = _classes.get(key)
            if cls is None:
                cls = _classes[key] = _build(procedure, step_id)
    return cls


def _build(procedure: LoadedProcedure, step_id: str) -> type[StepForm]:
    step = next(s for s in procedure.definition.form.steps if s.id == step_id)
    attrs: dict[str, Any] = {spec.name: spec.kind.build(spec) for spec in step.fields}
    attrs["step"] = step
    attrs["specs"] = {spec.name: spec for spec in step.fields}
    return type(f"Step_{step_id}", (StepForm,), attrs)


def answers_formdata(step: Step, answers: dict[str, Answer]) -> MultiDict[str, str]:
    """The input that refills `step` from stored answers: the same path as a posted step."""
    pairs = []
    for spec in step.fields:
        pairs.extend(formdata_for(spec, spec.name, answers.get(spec.name)))
    return MultiDict(pairs)


def error_items(form: StepForm, visible: list[str]) -> list[tuple[str, str, str]]:
    """(anchor, question, message) for the error summary, in the order of the page."""
    items: list[tuple[str, str, str]] = []
    if form.meta.csrf and form.csrf_token.errors:
        items.append(("main", "", str(_l("This page has expired. Send it again."))))
    for name in visible:
        field = form[name]
        label = str(field.label.text)
        if field.type == "GroupList":
            items.extend((field.id, label, e) for e in field.errors if isinstance(e, str))
            for number, entry in enumerate(field.entries, 1):
                for sub, msgs in entry.errors.items():
                    question = str(
                        _l(
                            "%(group)s, entry %(num)d, %(question)s",
                            group=label,
                            num=number,
                            question=entry.form[sub].label.text,
                        )
                    )
                    first = msgs[0] if isinstance(msgs, list) else next(iter(msgs.values()))[0]
                    items.append((f"{entry.id}-{sub}", question, first))
        elif isinstance(field.errors, dict):  # address parts
            items.extend((f"{field.id}-{sub}", label, msgs[0]) for sub, msgs in field.errors.items())
        else:
            items.extend((field.id, label, e) for e in field.errors)
    return items


def condition_texts(procedure: LoadedProcedure, step: Step) -> dict[str, str]:
    """What to tell a person (or a browser without JavaScript) about a conditional question."""
    texts = {}
    for spec in step.fields:
        cond = spec.show_if
        if cond is None:
            continue
        target = procedure.definition.field_named(cond.field)
        labels = {o.value: str(Localized(o.label)) for o in target.options or []}
        if cond.equals is not None:
            wanted = [cond.equals]
        elif cond.any_of is not None:
            wanted = cond.any_of
        else:  # exactly one of the three is given (Condition's check): here, checked
            wanted = [cond.checked] if cond.checked is not None else []
        texts[spec.name] = str(
            _l(
                "Answer only if your answer to “%(question)s” is “%(answer)s”.",
                question=str(Localized(target.label)),
                answer=" / ".join(labels[v] for v in wanted),
            )
        )
    return texts
