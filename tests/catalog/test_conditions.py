"""The condition language: what the catalog check refuses (and where it says the problem is), and
how one evaluation decides. Definitions are the shipped groundwater licence, changed one place."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
import yaml

from app.catalog.conditions import Condition, Rule, condition_holds
from app.config import PACKAGE_DIR

WATER = PACKAGE_DIR / "catalog" / "procedures" / "nuoc-duoi-dat-cap-giay-phep-khai-thac.yaml"
ORIGINAL = yaml.safe_load(WATER.read_text(encoding="utf-8"))


def _field(data: dict, step: str, name: str) -> dict:
    found = next(s for s in data["form"]["steps"] if s["id"] == step)
    return next(f for f in found["fields"] if f["name"] == name)


def _well(data: dict, name: str) -> dict:
    return next(f for f in _field(data, "wells", "wells")["fields"] if f["name"] == name)


def _component(data: dict, code: str) -> dict:
    return next(c for c in data["components"] if c["code"] == code)


def _set(target: dict, key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


# step "owner" is steps[0], "works" steps[1] (its fields: works_name 0 … licence_until 14),
# "wells" steps[2]; TP2 is components[1], TP5 components[4], TP6 components[5].
CASES = [
    (
        lambda d: _set(_field(d, "works", "subsidence_measures"), "show_if", {"field": "aquifer", "gt": 5}),
        "form.steps[1].fields[12].show_if.gt: 'aquifer' is not an integer or decimal field",
    ),
    (
        lambda d: _set(
            _field(d, "works", "subsidence_measures"), "show_if", {"field": "requested_flow", "equals": "x"}
        ),
        "form.steps[1].fields[12].show_if.field: 'requested_flow' is not a select, radio or checkboxes field",
    ),
    (
        lambda d: _set(_field(d, "works", "neighbour_impact"), "show_if", {"any": []}),
        "form.steps[1].fields[11].show_if.any: List should have at least 1 item after validation, not 0",
    ),
    (
        lambda d: _set(
            _field(d, "works", "previous_licence"),
            "show_if",
            {
                "all": [
                    {"field": "work_status", "equals": "existing"},
                    {"field": "had_licence", "equals": "maybe"},
                ]
            },
        ),
        "form.steps[1].fields[8].show_if.all[1].equals: 'maybe' is not an option of 'had_licence'",
    ),
    (
        lambda d: _set(
            _field(d, "works", "exploration_licence"),
            "show_if",
            {"not": {"field": "work_status", "equals": "existing", "any_of": ["new"]}},
        ),
        "form.steps[1].fields[6].show_if.not: a condition needs exactly one of equals, any_of, checked, "
        "gt, gte, lt, lte, all, any, not",
    ),
    (
        lambda d: _set(
            _field(d, "works", "exploration_licence"),
            "show_if",
            {"field": "work_status", "not": {"field": "work_status", "equals": "new"}},
        ),
        "form.steps[1].fields[6].show_if.field: not combines conditions and takes no field",
    ),
    (
        lambda d: _set(
            _field(d, "works", "design_capacity"), "show_if", {"field": "requested_flow", "gt": 1}
        ),
        "form.steps[1].fields[9].show_if.field: refers to 'requested_flow', which is not defined before it",
    ),
    (  # inside a group: only the entry's siblings before it
        lambda d: _set(_well(d, "well_flow"), "show_if", {"field": "work_status", "equals": "new"}),
        "form.steps[2].fields[0].fields[3].show_if.field: refers to 'work_status', which is not "
        "a sibling before it in the group",
    ),
    (  # a group inside a group
        lambda d: _set(
            _well(d, "screens")["fields"][1], "show_if", {"field": "well_kind", "equals": "production"}
        ),
        "form.steps[2].fields[0].fields[6].fields[1].show_if.field: refers to 'well_kind', which is not "
        "a sibling before it in the group",
    ),
    (
        lambda d: _set(d["form"]["steps"][1]["rules"][0], "lte", "aquifer"),
        "form.steps[1].rules[0].lte: 'aquifer' is not an integer, decimal or date field",
    ),
    (
        lambda d: _set(d["form"]["steps"][1]["rules"][1], "gt", "design_capacity"),
        "form.steps[1].rules[1]: 'licence_until' and 'design_capacity' are not both numbers or both dates",
    ),
    (
        lambda d: d["form"]["steps"][1]["rules"][1].update({"gte": "exploitation_start"}),
        "form.steps[1].rules[1]: a rule needs exactly one of gt, gte, lt, lte: the other field's name",
    ),
    (
        lambda d: _set(d["form"]["steps"][0], "rules", [{**d["form"]["steps"][1]["rules"][0]}]),
        "form.steps[0].rules[0].field: refers to 'requested_flow', which is not defined by then",
    ),
    (  # a step's rule about earlier steps only: nothing on the page to show it on
        lambda d: _set(
            d["form"]["steps"][2], "rules", [{**d["form"]["steps"][1]["rules"][0], "lte": "design_capacity"}]
        ),
        "form.steps[2].rules[0].field: a step's rule compares at least one answer of that step",
    ),
    (
        lambda d: _set(_field(d, "wells", "wells")["rules"][0], "lte", "well_code"),
        "form.steps[2].fields[0].rules[0].lte: 'well_code' is not an integer, decimal or date field",
    ),
    (
        lambda d: _set(_field(d, "works", "aquifer"), "rules", _field(d, "wells", "wells")["rules"]),
        "form.steps[1].fields[4].rules: only a group takes rules (a step's rules compare its fields)",
    ),
    (
        lambda d: _set(_component(d, "TP2"), "required", False),
        "components[1].required: a component with required_when is required only when it holds",
    ),
    (
        lambda d: _set(_component(d, "TP2"), "required_when", {"field": "well_kind", "equals": "production"}),
        "components[1].required_when.field: refers to 'well_kind', which is not a field of the form",
    ),
    (
        lambda d: _set(_component(d, "TP5"), "per_entry_of", "aquifer"),
        "components[4].per_entry_of: 'aquifer' is not a repeatable group",
    ),
    (
        lambda d: _set(_component(d, "TP6"), "required_when", {"field": "well_kind", "equals": "artesian"}),
        "components[5].required_when.equals: 'artesian' is not an option of 'well_kind'",
    ),
]


@pytest.mark.parametrize(("change", "message"), CASES, ids=[m.split(": ")[0] for _, m in CASES])
def test_the_check_refuses_a_wrong_condition_and_says_where(runner, tmp_path, change, message):
    data = copy.deepcopy(ORIGINAL)
    change(data)
    data["code"] = "T.000077"
    (tmp_path / "water.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    result = runner.invoke(args=["catalog", "check", str(tmp_path)])
    assert result.exit_code != 0
    assert f"water.yaml: {message}" in result.output.splitlines(), result.output


def test_the_shipped_definition_passes_the_check(runner, tmp_path):
    (tmp_path / "water.yaml").write_text(WATER.read_text(encoding="utf-8"), "utf-8")
    result = runner.invoke(args=["catalog", "check", str(tmp_path)])
    assert result.exit_code == 0, result.output


def c(data: dict) -> Condition:
    return Condition.model_validate(data)


@pytest.mark.parametrize(
    ("condition", "answers", "holds"),
    [
        ({"field": "k", "equals": "a"}, {"k": "a"}, True),
        ({"field": "k", "equals": "a"}, {"k": "b"}, False),
        ({"field": "k", "equals": "a"}, {}, False),
        ({"field": "k", "any_of": ["a", "b"]}, {"k": "b"}, True),
        ({"field": "k", "checked": "x"}, {"k": ["y", "x"]}, True),
        ({"field": "k", "checked": "x"}, {"k": "x"}, False),  # not a list of ticks
        ({"field": "n", "gt": 10}, {"n": 11}, True),
        ({"field": "n", "gt": 10}, {"n": 10}, False),
        ({"field": "n", "gte": 10}, {"n": 10}, True),
        ({"field": "n", "lt": "2.5"}, {"n": "2.49"}, True),  # a decimal answer is its canonical string
        ({"field": "n", "lte": "2.5"}, {"n": "2.50"}, True),
        ({"field": "n", "lt": 3}, {"n": None}, False),  # no answer is never a number
        ({"field": "n", "gt": 0}, {"n": "abc"}, False),
        ({"field": "n", "gt": 0}, {"n": True}, False),
        ({"all": [{"field": "k", "equals": "a"}, {"field": "n", "gt": 1}]}, {"k": "a", "n": 2}, True),
        ({"all": [{"field": "k", "equals": "a"}, {"field": "n", "gt": 1}]}, {"k": "a", "n": 1}, False),
        ({"any": [{"field": "k", "equals": "a"}, {"field": "n", "gt": 1}]}, {"k": "b", "n": 2}, True),
        ({"any": [{"field": "k", "equals": "a"}, {"field": "n", "gt": 1}]}, {"k": "b", "n": 0}, False),
        ({"not": {"field": "k", "equals": "a"}}, {"k": "b"}, True),
        ({"not": {"field": "k", "equals": "a"}}, {}, True),
        (
            {"not": {"any": [{"field": "k", "equals": "a"}, {"not": {"field": "n", "lte": 5}}]}},
            {"n": 5},
            True,
        ),
    ],
)
def test_one_evaluation_decides(condition, answers, holds):
    assert condition_holds(c(condition), answers) is holds
    assert c(condition).holds(answers) is holds


def test_no_condition_always_holds():
    assert condition_holds(None, {})


def test_a_condition_reads_back_as_written():
    written = {"all": [{"field": "k", "equals": "a"}, {"not": {"field": "n", "gt": "1.5"}}]}
    assert c(written).model_dump(mode="json", exclude_none=True) == written
    assert sorted(c(written).fields()) == ["k", "n"]


@pytest.mark.parametrize(
    ("rule", "answers", "broken"),
    [
        ({"field": "a", "lte": "b"}, {"a": 5, "b": 5}, False),
        ({"field": "a", "lte": "b"}, {"a": 6, "b": 5}, True),
        ({"field": "a", "lt": "b"}, {"a": "1.5", "b": 2}, False),  # decimal against integer
        ({"field": "end", "gt": "start"}, {"end": "2027-01-02", "start": "2027-01-01"}, False),
        ({"field": "end", "gt": "start"}, {"end": "2027-01-01", "start": "2027-01-01"}, True),
        ({"field": "end", "gte": "start"}, {"end": "2027-01-01", "start": "2027-01-01"}, False),
        ({"field": "end", "gt": "start"}, {"end": None, "start": "2027-01-01"}, False),  # one side missing
        ({"field": "end", "gt": "start"}, {"end": "2027-01-01", "start": 5}, False),  # never mixed
        (
            {"field": "a", "lte": "b", "when": {"field": "k", "equals": "on"}},
            {"a": 6, "b": 5, "k": "off"},
            False,
        ),
        (
            {"field": "a", "lte": "b", "when": {"field": "k", "equals": "on"}},
            {"a": 6, "b": 5, "k": "on"},
            True,
        ),
    ],
)
def test_a_rule_is_broken_only_when_both_answers_fail_it(rule, answers, broken):
    made = Rule.model_validate({**rule, "message": {"vi": "Sai", "en": "Wrong"}})
    assert made.broken(answers) is broken


def test_comparisons_are_exact_decimals():
    assert c({"field": "n", "gt": "0.1"}).gt == Decimal("0.1")
    assert c({"field": "n", "gt": "0.1"}).holds({"n": "0.10000000000000001"})
