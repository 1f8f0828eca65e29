"""WTForms classes built from a procedure definition, once per procedure version and step."""

from __future__ import annotations

import threading
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from app.catalog.conditions import condition_holds as condition_holds  # re-exported: callers above forms
from app.catalog.loader import LoadedProcedure
from app.catalog.schema import FormField as Spec
from app.catalog.schema import Step
from app.catalog.wording import describe
from app.forms.fields import Answer, formdata_for
from app.i18n import current_locale
from app.texts import Localized

_classes: dict[tuple[str, str], type[StepForm]] = {}
_lock = threading.Lock()


class StepForm(FlaskForm):
    """One step of a procedure's form. Fields hidden by a condition are neither checked nor kept;
    the step's rules are checked across its answers (and earlier steps') once its fields pass."""

    step: Step
    specs: dict[str, Spec]
    checked_answers: dict[str, Answer] | None = None  # set by validate_step()

    def _lookup(self, answers: dict[str, Answer]) -> tuple[list[str], dict[str, Answer]]:
        # Answers from this step (as posted, or as checked) win over the stored ones; a hidden
        # question has no answer, so what depends on it is hidden too.
        lookup = dict(answers)
        shown = []
        for name, spec in self.specs.items():
            if not condition_holds(spec.show_if, lookup):
                lookup[name] = None
                continue
            shown.append(name)
            if self.checked_answers is not None:
                lookup[name] = self.checked_answers.get(name)
            else:
                lookup[name] = spec.kind.reading(self[name])
        return shown, lookup

    def visible(self, answers: dict[str, Answer]) -> list[str]:
        return self._lookup(answers)[0]

    def validate_step(self, answers: dict[str, Answer]) -> bool:
        """Check the CSRF token, every visible field in order, then the step's rules (WTForms'
        validate() would check every field)."""
        valid = "csrf_token" not in self._fields or self._fields["csrf_token"].validate(self)
        lookup = dict(answers)
        checked: dict[str, Answer] = {}
        for name, spec in self.specs.items():
            if not condition_holds(spec.show_if, lookup):
                lookup[name] = checked[name] = None
                continue
            ok = self[name].validate(self)
            lookup[name] = checked[name] = spec.kind.answer(self[name]) if ok else None
            valid = valid and ok
        for rule in self.step.rules:
            # Shown on its field, or on the other one when the field is an earlier step's.
            where = rule.field if rule.field in self.specs else rule.other
            if rule.broken(lookup) and where in self.specs:
                field = self[where]
                field.errors = [*field.errors, str(Localized(rule.message))]
                valid = False
        self.checked_answers = checked
        self._errors = None  # WTForms caches a form's errors
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
        items.extend(_field_errors(field, str(field.label.text)))
    return items


def _field_errors(field: Any, label: str) -> list[tuple[str, str, str]]:
    if field.type == "GroupList":
        items = [(field.id, label, e) for e in field.errors if isinstance(e, str)]
        for number, entry in enumerate(field.entries, 1):
            for sub in entry.form:
                if not sub.errors:
                    continue
                question = str(
                    _l(
                        "%(group)s, entry %(num)d, %(question)s",
                        group=label,
                        num=number,
                        question=sub.label.text,
                    )
                )
                if sub.type == "GroupList":
                    items.extend(_field_errors(sub, question))
                elif isinstance(sub.errors, dict):  # address parts: the first
                    items.append(
                        (f"{entry.id}-{sub.short_name}", question, next(iter(sub.errors.values()))[0])
                    )
                else:
                    items.append((f"{entry.id}-{sub.short_name}", question, sub.errors[0]))
        return items
    if isinstance(field.errors, dict):  # address parts
        return [(f"{field.id}-{sub}", label, msgs[0]) for sub, msgs in field.errors.items()]
    return [(field.id, label, e) for e in field.errors]


_conditions: dict[tuple[str, str, str], dict[str, str]] = {}


def condition_texts(procedure: LoadedProcedure, step: Step) -> dict[str, str]:
    """What to tell a person (or a browser without JavaScript) about a conditional question of
    the step, by field name (inside a group: sibling_condition). Worded once per procedure
    version, step and language, like the step's form class."""
    key = (procedure.version, step.id, current_locale())
    found = _conditions.get(key)
    if found is None:
        top = {spec.name: spec for s in procedure.definition.form.steps for spec in s.fields}
        found = _conditions[key] = {
            spec.name: str(_l("Answer only if %(condition)s.", condition=describe(spec.show_if, top)))
            for spec in step.fields
            if spec.show_if is not None
        }
    return found


def sibling_condition(spec: Spec, group: Spec) -> str | None:
    """What to tell a person about a conditional question inside a group's entry."""
    if spec.show_if is None:
        return None
    known = {sub.name: sub for sub in group.fields or []}
    return str(_l("Answer only if %(condition)s.", condition=describe(spec.show_if, known)))
