"""`flask catalog check` refuses limits no answer can meet, and names where every problem is."""

from __future__ import annotations

import pytest

from tests.catalog.test_catalog import write_broken

CASES = [
    # what the file says instead, what the check says
    (
        ("validation: {min: 1, max: 500}", "validation: {min: 600, max: 500}"),
        "form.steps[0].fields[3].validation.min: min 600 is larger than max 500",
    ),
    (
        ("validation: {min_length: 2, max_length: 40}", "validation: {min_length: 50, max_length: 40}"),
        "form.steps[0].fields[0].validation.min_length: min_length 50 is larger than max_length 40",
    ),
    (
        ("validation: {min_choices: 2, max_choices: 3}", "validation: {min_choices: 5}"),
        "form.steps[1].fields[6].validation.min_choices: min_choices 5 is more than the 4 options",
    ),
    (
        ("validation: {min_choices: 2, max_choices: 3}", "validation: {min_choices: 3, max_choices: 2}"),
        "form.steps[1].fields[6].validation.min_choices: min_choices 3 is larger than max_choices 2",
    ),
    (
        ("validation: {min: 1, max: 500}", "validation: {min: 1, max_length: 500}"),
        "form.steps[0].fields[3].validation.max_length: Extra inputs are not permitted",
    ),
    (
        ("min_entries: 1\n          max_entries: 3", "min_entries: 4\n          max_entries: 3"),
        "form.steps[2].fields[3].min_entries: min_entries 4 is larger than max_entries 3",
    ),
    (
        ("- {name: purpose, type: textarea", "- {name: full_name, type: textarea"),
        "form.steps[0].fields[2].name: field 'full_name' is defined twice",
    ),
    (
        (
            "show_if: {field: applicant_type, equals: citizen}",
            "show_if: {field: applicant_kind, equals: citizen}",
        ),
        "form.steps[1].fields[2].show_if.field: refers to 'applicant_kind', which is not defined before it",
    ),
    (
        ("- {name: weight_kg, type: decimal", "- {name: species, type: decimal"),
        "form.steps[2].fields[3].fields[1].name: field 'species' is defined twice in this group",
    ),
]


@pytest.mark.parametrize(("change", "message"), CASES, ids=[m.split(": ")[0] for _, m in CASES])
def test_the_check_refuses_what_no_answer_can_meet_and_says_where(runner, tmp_path, change, message):
    write_broken(tmp_path, "broken.yaml", *change)
    result = runner.invoke(args=["catalog", "check", str(tmp_path)])
    assert result.exit_code != 0
    assert f"broken.yaml: {message}" in result.output.splitlines(), result.output
