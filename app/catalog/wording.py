"""Conditions in words, in the request's language: what the step pages tell a person (or a
browser without JavaScript) about a conditional question, and what the procedure page says of a
document asked only for some answers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.catalog.conditions import COMPARISONS, Condition
from app.catalog.schema import Component, Procedure
from app.catalog.schema import FormField as Spec
from app.fields.numbers import shown
from app.texts import Localized


def describe(cond: Condition, known: dict[str, Spec]) -> str:
    """A condition in words, in the request's language."""
    if cond.all_ is not None:
        return str(_l(" and ")).join(describe(p, known) for p in cond.all_)
    if cond.any_ is not None:
        return str(_l(" or ")).join(describe(p, known) for p in cond.any_)
    if cond.not_ is not None:
        return str(_l("it is not so that %(condition)s", condition=describe(cond.not_, known)))
    target = known[cond.field or ""]
    question = str(Localized(target.label))
    labels = {o.value: str(Localized(o.label)) for o in target.options or []}
    if cond.equals is not None or cond.any_of is not None:
        wanted = [cond.equals] if cond.equals is not None else cond.any_of or []
        answer = " / ".join(labels.get(v, v) for v in wanted)
        return str(_l("your answer to “%(question)s” is “%(answer)s”", question=question, answer=answer))
    if cond.checked is not None:
        return str(
            _l(
                "you ticked “%(answer)s” in “%(question)s”",
                question=question,
                answer=labels.get(cond.checked),
            )
        )
    name = next(n for n in COMPARISONS if getattr(cond, n) is not None)
    number = shown(getattr(cond, name))
    words = {
        "gt": _l("your answer to “%(question)s” is more than %(num)s", question=question, num=number),
        "gte": _l("your answer to “%(question)s” is at least %(num)s", question=question, num=number),
        "lt": _l("your answer to “%(question)s” is less than %(num)s", question=question, num=number),
        "lte": _l("your answer to “%(question)s” is at most %(num)s", question=question, num=number),
    }
    return str(words[name])


def component_conditions(procedure: Procedure, component: Component) -> list[str]:
    """When a document is asked, beyond always: one per entry of a group, and required only
    for some answers (the procedure page's words)."""
    top = {spec.name: spec for step in procedure.form.steps for spec in step.fields}
    said = []
    known = dict(top)
    if component.per_entry_of is not None:
        group = top[component.per_entry_of]
        said.append(str(_l("One for each entry of “%(group)s”", group=Localized(group.label))))
        known |= {sub.name: sub for sub in group.fields or []}
    if component.required_when is not None:
        said.append(
            str(_l("Required only if %(condition)s", condition=describe(component.required_when, known)))
        )
    return said
