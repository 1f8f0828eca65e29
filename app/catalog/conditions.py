"""The condition language of procedure definitions, and the one place it is evaluated.

A condition shows a question (`show_if:`), asks for a document (`required_when:`) or limits a
rule (`when:`). It tests one earlier answer, or combines other conditions:

    {field: kind, equals: new}                  # a select or radio answer
    {field: kind, any_of: [new, renew]}
    {field: uses, checked: irrigation}          # a checkboxes answer includes this option
    {field: flow, gt: 500}                      # gt, gte, lt, lte on an integer or decimal answer
    {all: [<condition>, ...]}  {any: [<condition>, ...]}  {not: <condition>}

Inside a repeatable group a condition tests the sibling questions of the same entry.

A rule (`rules:` of a step, or of a group for each of its entries) compares two answers of the
same kind, numbers or dates: `{field: end, gt: start, message: {vi: ..., en: ...}}`; when it
does not hold, its message is shown on `field`. An unanswered or hidden side skips the rule.

Evaluation is `condition_holds` (and `Condition.holds`, which the field types below the catalog
call without importing it); the browser's copy in app/static/site.js only mirrors it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.texts import Text

CHOICE_TYPES = ("select", "radio", "checkboxes")
NUMBER_TYPES = ("integer", "decimal")
COMPARABLE_TYPES = (*NUMBER_TYPES, "date")
COMPARISONS = ("gt", "gte", "lt", "lte")
Problem = tuple[str, str]  # (path inside the condition, reason)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)


class Condition(_Strict):
    """A test of earlier answers: exactly one of the tests below."""

    field: str | None = None
    equals: str | None = None
    any_of: Annotated[list[str], Field(min_length=1)] | None = None
    checked: str | None = None  # for a checkboxes field: this value is ticked
    gt: Decimal | None = None
    gte: Decimal | None = None
    lt: Decimal | None = None
    lte: Decimal | None = None
    all_: list[Condition] | None = Field(default=None, alias="all", min_length=1)
    any_: list[Condition] | None = Field(default=None, alias="any", min_length=1)
    not_: Condition | None = Field(default=None, alias="not")

    def tests(self) -> list[str]:
        """The names of the tests given (exactly one in a valid condition)."""
        names = ("equals", "any_of", "checked", *COMPARISONS, "all_", "any_", "not_")
        return [n.rstrip("_") for n in names if getattr(self, n) is not None]

    @property
    def combines(self) -> bool:
        return self.all_ is not None or self.any_ is not None or self.not_ is not None

    def parts(self) -> list[Condition]:
        return [*(self.all_ or []), *(self.any_ or []), *([self.not_] if self.not_ is not None else [])]

    def fields(self) -> Iterator[str]:
        """Every answer this condition reads."""
        if self.field is not None:
            yield self.field
        for part in self.parts():
            yield from part.fields()

    def holds(self, lookup: Mapping[str, Any]) -> bool:
        """Whether the answers in `lookup` (by field name; None or absent for no answer) pass."""
        if self.all_ is not None:
            return all(p.holds(lookup) for p in self.all_)
        if self.any_ is not None:
            return any(p.holds(lookup) for p in self.any_)
        if self.not_ is not None:
            return not self.not_.holds(lookup)
        value = lookup.get(self.field or "")
        if self.equals is not None:
            return value == self.equals
        if self.any_of is not None:
            return value in self.any_of
        if self.checked is not None:
            return isinstance(value, list) and self.checked in value
        number = _number(value)
        if number is None:
            return False
        for name in COMPARISONS:
            bound = getattr(self, name)
            if bound is not None:
                return _compare(name, number, bound)
        return False


Condition.model_rebuild()


class Rule(_Strict):
    """A check across two answers of one step (or of one entry of a group)."""

    field: str  # the answer compared, where the message is shown
    gt: str | None = None  # the other answer's field name
    gte: str | None = None
    lt: str | None = None
    lte: str | None = None
    message: Text
    when: Condition | None = None

    @property
    def other(self) -> str:
        return next(getattr(self, n) for n in COMPARISONS if getattr(self, n) is not None)

    @property
    def comparison(self) -> str:
        return next(n for n in COMPARISONS if getattr(self, n) is not None)

    def broken(self, lookup: Mapping[str, Any]) -> bool:
        """Whether both answers are there and fail the comparison (or `when` does not hold: never)."""
        if self.when is not None and not self.when.holds(lookup):
            return False
        a, b = _comparable(lookup.get(self.field)), _comparable(lookup.get(self.other))
        if a is None or b is None or type(a) is not type(b):
            return False
        return not _compare(self.comparison, a, b)


def condition_holds(condition: Condition | None, lookup: Mapping[str, Any]) -> bool:
    """The evaluation of a condition: no condition always holds."""
    return condition is None or condition.holds(lookup)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):  # a decimal answer is stored as its canonical string
        try:
            found = Decimal(value)
        except InvalidOperation:
            return None
        return found if found.is_finite() else None
    return None


def _comparable(value: Any) -> Decimal | date | None:
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return _number(value)


def _compare(name: str, a: Any, b: Any) -> bool:
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[name]


# Checks when the catalog loads.


class Target:
    """What a condition may know of the question it tests: its type and its option values."""

    def __init__(self, type_: str, options: list[str]) -> None:
        self.type = type_
        self.options = options


def condition_problems(cond: Condition, find: Callable[[str], Target | None], where: str) -> list[Problem]:
    """What is wrong with a condition, at paths inside it ("" for the condition itself).
    `find` gives the question a name refers to, or None when it may not be tested from here
    (`where` says what may be: "defined before it", "a sibling before it in the group")."""
    tests = cond.tests()
    if len(tests) != 1:
        return [
            ("", "a condition needs exactly one of equals, any_of, checked, gt, gte, lt, lte, all, any, not")
        ]
    if cond.combines:
        if cond.field is not None:
            return [(".field", f"{tests[0]} combines conditions and takes no field")]
        problems: list[Problem] = []
        for index, part in enumerate(cond.all_ or cond.any_ or []):
            problems.extend((f".{tests[0]}[{index}]{p}", r) for p, r in condition_problems(part, find, where))
        if cond.not_ is not None:
            problems.extend((f".not{p}", r) for p, r in condition_problems(cond.not_, find, where))
        return problems
    if cond.field is None:
        return [(".field", f"{tests[0]} needs the field it tests")]
    target = find(cond.field)
    if target is None:
        return [(".field", f"refers to {cond.field!r}, which is not {where}")]
    test = tests[0]
    if test in COMPARISONS:
        if target.type not in NUMBER_TYPES:
            return [(f".{test}", f"{cond.field!r} is not an integer or decimal field")]
        return []
    if target.type not in CHOICE_TYPES:
        return [(".field", f"{cond.field!r} is not a select, radio or checkboxes field")]
    if test == "equals":
        wanted = [(".equals", cond.equals or "")]
    elif test == "any_of":
        wanted = [(f".any_of[{i}]", v) for i, v in enumerate(cond.any_of or [])]
    else:
        wanted = [(".checked", cond.checked or "")]
    problems = [
        (path, f"{v!r} is not an option of {cond.field!r}") for path, v in wanted if v not in target.options
    ]
    if test == "checked" and target.type != "checkboxes":
        problems.append((".checked", f"{cond.field!r} is not a checkboxes field"))
    return problems


def rule_problems(rule: Rule, find: Callable[[str], Target | None], where: str) -> list[Problem]:
    given = [n for n in COMPARISONS if getattr(rule, n) is not None]
    if len(given) != 1:
        return [("", "a rule needs exactly one of gt, gte, lt, lte: the other field's name")]
    problems: list[Problem] = []
    kinds = []
    for path, name in ((".field", rule.field), (f".{given[0]}", rule.other)):
        target = find(name)
        if target is None:
            problems.append((path, f"refers to {name!r}, which is not {where}"))
        elif target.type not in COMPARABLE_TYPES:
            problems.append((path, f"{name!r} is not an integer, decimal or date field"))
        else:
            kinds.append("date" if target.type == "date" else "number")
    if len(kinds) == 2 and kinds[0] != kinds[1]:
        problems.append(("", f"{rule.field!r} and {rule.other!r} are not both numbers or both dates"))
    if rule.field == rule.other:
        problems.append((f".{given[0]}", "a rule compares two different fields"))
    if rule.when is not None:
        problems.extend((f".when{p}", r) for p, r in condition_problems(rule.when, find, where))
    return problems
