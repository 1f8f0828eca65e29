"""What an applicant sees when an answer is wrong: the exact message, next to the field and in
the summary at the top, for every field type. Driven through the real step pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from app.catalog.loader import load_folder
from tests.conftest import TEST_CATALOG, csrf_token, page
from tests.journey import start, valid_pairs

DEFINITION = load_folder(TEST_CATALOG)["T.000001"].definition
TOMORROW = (date.today() + timedelta(days=2)).isoformat()
YESTERDAY = (date.today() - timedelta(days=2)).isoformat()


def post_step(client, url, step, overrides: dict[str, list[str]], action="continue"):
    """Post a step with valid answers except the overridden keys."""
    spec_step = next(s for s in DEFINITION.form.steps if s.id == step)
    form_page = client.get(url)
    data = MultiDict([("csrf_token", csrf_token(form_page)), ("action", action)])
    for spec in spec_step.fields:
        for key, value in valid_pairs(spec, spec.name):
            if key not in overrides:
                data.add(key, value)
    for key, values in overrides.items():
        for value in values:
            data.add(key, value)
    return client.post(url, data=data)


def step_url(client, step: str) -> str:
    first = start(client, "T.000001")
    return first.rsplit("/", 1)[0] + "/" + step


def messages_for(response, field_id: str) -> list[str]:
    doc = page(response)
    box = doc.find(id=f"field-{field_id}")
    assert box is not None, f"no field {field_id} on the page"
    return [e.get_text(strip=True) for e in box.select(".error")]


LABELS = {spec.name: spec.label.en for step in DEFINITION.form.steps for spec in step.fields}

CASES = [
    # step, field id, posted value(s), the message shown
    ("basics", "full_name", [""], "Enter an answer"),
    ("basics", "full_name", ["   "], "Enter an answer"),
    ("basics", "full_name", ["A"], "Enter at least 2 characters"),
    ("basics", "full_name", ["x" * 41], "Enter at most 40 characters"),
    ("basics", "licence_no", ["GP 12"], "Enter a licence number like 12/GP-BTNMT"),
    ("basics", "purpose", ["y" * 51], "Enter at most 50 characters"),
    ("basics", "staff", ["twelve"], "Enter a whole number, like 12"),
    ("basics", "staff", ["1.5"], "Enter a whole number, like 12"),
    ("basics", "staff", ["0"], "Enter a number of at least 1"),
    ("basics", "staff", ["501"], "Enter a number of at most 500"),
    ("basics", "area_ha", ["abc"], "Enter a number, like 12.5"),
    ("basics", "area_ha", ["1.234"], "Enter at most 2 decimal places"),
    ("basics", "area_ha", ["0.1"], "Enter a number of at least 0.5"),
    ("basics", "area_ha", ["1000.01"], "Enter a number of at most 1,000"),
    ("basics", "founded_on", [""], "Enter a date"),
    ("basics", "founded_on", ["31/02/2020"], "Enter a real date, like 31/12/2024"),
    ("basics", "founded_on", ["2020-13-01"], "Enter a real date, like 31/12/2024"),
    ("basics", "founded_on", ["yesterday"], "Enter a real date, like 31/12/2024"),
    ("basics", "founded_on", ["01/01/1850"], "Enter a date after 1900"),
    ("basics", "founded_on", [TOMORROW], "The date must be today or in the past"),
    ("basics", "start_on", [YESTERDAY], "The date must be today or in the future"),
    ("choices", "province_kind", [""], "Select an option"),
    ("choices", "province_kind", ["district"], "Select one of the options"),
    ("choices", "applicant_type", [], "Select an option"),
    ("choices", "applicant_type", ["robot"], "Select one of the options"),
    ("choices", "topics", [], "Select at least one option"),
    ("choices", "topics", ["water"], "Select at least 2 options"),
    ("choices", "topics", ["water", "air", "soil", "noise"], "Select at most 3 options"),
    ("choices", "topics", ["water", "fire"], "Select one of the options"),
    ("choices", "personal_id", ["12345"], "Enter the 12 digits of the personal identification number"),
    (
        "choices",
        "personal_id",
        ["003099012345"],
        "The first 3 digits must be a province code: check for a typing mistake",
    ),
    ("contact", "email", ["an@"], "Enter an email address in the correct format, like name@example.com"),
    (
        "contact",
        "email",
        ["an nguyen@example.vn"],
        "Enter an email address in the correct format, like name@example.com",
    ),
    ("contact", "phone", ["12345"], "Enter a Vietnamese phone number, like 0912 345 678 or +84 912 345 678"),
    (
        "contact",
        "phone",
        ["0112345678"],
        "Enter a Vietnamese phone number, like 0912 345 678 or +84 912 345 678",
    ),
]


@pytest.mark.parametrize(("step", "field", "values", "message"), CASES)
def test_invalid_answer_shows_its_message(test_client, step, field, values, message):
    url = step_url(test_client, step)
    response = post_step(test_client, url, step, {field: values})
    assert response.status_code == 400
    assert messages_for(response, field) == [message]
    label = LABELS[field]
    summary = page(response).select(".error-summary a")
    assert [(a["href"], a.get_text(strip=True)) for a in summary] == [(f"#{field}", f"{label}: {message}")]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["0100109105"], "This tax code does not exist: check for a typing mistake"),
        (["010010910"], "Enter a tax code of 10 digits, or 13 digits for a branch (like 0101234567-001)"),
        (["0100109106-000"], "A branch number runs from 001 to 999"),
    ],
)
def test_tax_code_messages(test_client, values, message):
    url = step_url(test_client, "choices")
    response = post_step(test_client, url, "choices", {"applicant_type": ["business"], "tax_code": values})
    assert response.status_code == 400
    assert messages_for(response, "tax_code") == [message]


def test_address_parts_are_each_required(test_client):
    url = step_url(test_client, "contact")
    response = post_step(test_client, url, "contact", {"address-ward": [""], "address-province": [""]})
    assert response.status_code == 400
    doc = page(response)
    assert [e.get_text(strip=True) for e in doc.select("#field-address .error")] == ["Enter an answer"] * 2
    assert [a["href"] for a in doc.select(".error-summary a")] == ["#address-ward", "#address-province"]


def test_group_rows_are_checked_and_blank_rows_dropped(test_client):
    url = step_url(test_client, "contact")
    response = post_step(
        test_client,
        url,
        "contact",
        {"samples-0-species": ["Panthera tigris"], "samples-0-weight_kg": ["-1"], "samples-1-species": [""]},
    )
    assert response.status_code == 400
    doc = page(response)
    assert [a["href"] for a in doc.select(".error-summary a")] == ["#samples-0-weight_kg"]
    assert "Enter a number of at least 0.001" in doc.select_one("#field-samples-0-weight_kg").get_text()
    assert len(doc.select("fieldset.row")) == 1  # the blank second row is gone


def test_required_group_needs_one_row(test_client):
    url = step_url(test_client, "contact")
    response = post_step(
        test_client, url, "contact", {"samples-0-species": [""], "samples-0-weight_kg": [""]}
    )
    assert response.status_code == 400
    assert messages_for(response, "samples") == ["Add at least 1 entries"]


def test_hidden_conditional_field_is_neither_checked_nor_kept(test_client, test_app):
    url = step_url(test_client, "choices")
    # A business does not give a personal identification number: a wrong one is ignored.
    response = post_step(
        test_client, url, "choices", {"applicant_type": ["business"], "personal_id": ["bad"]}
    )
    assert response.status_code == 302
    with test_app.app_context():
        from app.dossiers.models import Dossier
        from app.extensions import db

        dossier = db.session.scalars(db.select(Dossier)).one()
        assert dossier.answers["personal_id"] is None
        assert dossier.answers["tax_code"] == "0100109106"


def test_values_are_stored_in_canonical_form(test_client, test_app):
    url = step_url(test_client, "contact")
    response = post_step(
        test_client, url, "contact", {"phone": ["+84 (912) 345-678"], "email": ["An.Nguyen@Example.VN"]}
    )
    assert response.status_code == 302
    with test_app.app_context():
        from app.dossiers.models import Dossier
        from app.extensions import db

        answers = db.session.scalars(db.select(Dossier)).one().answers
    assert answers["phone"] == "0912345678"
    assert answers["email"] == "An.Nguyen@example.vn"
    assert answers["samples"] == [{"species": "Nguyễn Thị Thu Hà", "weight_kg": "50"}]


def test_messages_are_translated(test_client):
    test_client.get("/language/vi")
    url = step_url(test_client, "basics")
    response = post_step(test_client, url, "basics", {"full_name": [""], "staff": ["x"]})
    assert messages_for(response, "full_name") == ["Nhập câu trả lời"]
    assert messages_for(response, "staff")[0] != "Enter a whole number, like 12"
